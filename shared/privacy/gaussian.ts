/**
 * Gaussian noise for the DP mechanism, by the Box–Muller transform on 53-bit uniforms from
 * the platform's cryptographic generator (./uniform.ts). Floating-point samplers leak
 * through their low bits (Mironov, CCS 2012); the distributed mode's discrete Gaussian
 * (./discrete-gaussian.ts) is the remedy where that matters.
 */
import { cryptoUniform, type Uniform } from "./uniform";

/** Adds an independent N(0, std²) draw to each value, in place. */
export function addGaussianNoise(
  values: Float32Array,
  std: number,
  uniform: Uniform = cryptoUniform(),
): void {
  if (!(std >= 0 && Number.isFinite(std)))
    throw new RangeError(`noise std must be finite and ≥ 0, got ${std}`);
  if (std === 0) return;
  for (let i = 0; i < values.length; i += 2) {
    // u1 in (0, 1], so that its log is finite.
    const r = std * Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    values[i] = values[i]! + r * Math.cos(theta);
    if (i + 1 < values.length) values[i + 1] = values[i + 1]! + r * Math.sin(theta);
  }
}
