/**
 * Test fixtures importable anywhere (no Workers-only imports): the workers tests, pure
 * unit tests and the scripts' runners use the same models and draw the same vectors for
 * the same seed.
 */
import type { TaskConfigInput } from "../shared/protocol/task-config";

/** A flat model of `dim` parameters in two tensors. */
export function flatModel(dim: number): TaskConfigInput["model"] {
  const half = Math.floor(dim / 2);
  return {
    parameters: dim,
    layout: [
      { name: "w", shape: [half], offset: 0 },
      { name: "b", shape: [dim - half], offset: half },
    ],
  };
}

/** xorshift32 (Marsaglia, 2003): values in [0, 1), the same sequence for the same seed. */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** 53-bit uniforms in [0, 1) from two xorshift32 draws each: the noise samplers' seeded source. */
export function seededUniform(seed: number): () => number {
  const next = xorshift32(seed);
  return () => (Math.floor(next() * 2 ** 26) * 2 ** 27 + Math.floor(next() * 2 ** 27)) / 2 ** 53;
}

/** A vector of `dim` xorshift32 values in [-1, 1). */
export function seededVector(seed: number, dim: number): Float32Array {
  const random = xorshift32(seed);
  return Float32Array.from({ length: dim }, () => random() * 2 - 1);
}

/** The mean and the (population) standard deviation of `values`, in float64. */
export function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

/** Pearson's correlation of a and b (0 when either is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [ma, mb] = [meanAndStd(a).mean, meanAndStd(b).mean];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]! - ma, b[i]! - mb];
    [sab, saa, sbb] = [sab + x * y, saa + x * x, sbb + y * y];
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}
