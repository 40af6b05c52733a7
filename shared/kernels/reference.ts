/**
 * The plain TypeScript KernelBackend: the test oracle for the WASM kernels, and a fallback.
 * Pure: no Cloudflare imports, runs in Node and in workerd alike. accumulate is
 * shared/codecs' accumulateUpdate on the running sum.
 *
 * Arithmetic is exactly f32, as in the WASM kernel: w is rounded to f32 (as the wasm f32
 * parameter is), the product is rounded to f32 by Math.fround, and the sum is rounded to
 * f32 by the Float32Array store. The product of two f32 values is exact in f64, and f64 has
 * more than 2·24+2 significand bits, so rounding the f64 sum to f32 equals a direct f32 add
 * (no double-rounding error). Hence results are bit-identical to f32 mul then f32 add.
 */
import { accumulateUpdate, type EncodedUpdate, type UpdateStats } from "../codecs/accumulate";
import type { Accumulator, KernelBackend } from "./accumulator";

/** Throws a RangeError unless dim is a positive safe integer. Shared by all backends. */
export function assertValidDim(dim: number): void {
  if (!Number.isSafeInteger(dim) || dim <= 0) {
    throw new RangeError(`accumulator dim must be a positive integer, got ${dim}`);
  }
}

/**
 * Throws a RangeError unless x.length === dim and w is finite, also once rounded to f32
 * (a weight beyond ±3.4e38 would become ±Infinity in the f32 kernel). Shared by all backends.
 */
export function assertValidInput(dim: number, x: Float32Array, w: number): void {
  if (x.length !== dim) {
    throw new RangeError(`input length ${x.length} does not match accumulator dim ${dim}`);
  }
  if (!Number.isFinite(w) || !Number.isFinite(Math.fround(w))) {
    throw new RangeError(`weight must be a finite f32 number, got ${w}`);
  }
}

/** acc[i] += w · x[i] in f32 arithmetic (see the module comment). acc and x must have equal length. */
export function weightedSumInto(acc: Float32Array, x: Float32Array, w: number): void {
  const n = acc.length;
  if (x.length !== n) {
    throw new RangeError(`input length ${x.length} does not match accumulator length ${n}`);
  }
  const wf = Math.fround(w);
  for (let i = 0; i < n; i++) {
    // In bounds (i < n, both have length n), so the casts only silence noUncheckedIndexedAccess.
    acc[i] = (acc[i] as number) + Math.fround(wf * (x[i] as number));
  }
}

class ReferenceAccumulator implements Accumulator {
  readonly dim: number;
  readonly #sum: Float32Array;

  constructor(dim: number) {
    assertValidDim(dim);
    this.dim = dim;
    this.#sum = new Float32Array(dim);
  }

  get memoryBytes(): number {
    return this.#sum.byteLength;
  }

  addWeighted(x: Float32Array, w: number): void {
    assertValidInput(this.dim, x, w);
    weightedSumInto(this.#sum, x, w);
  }

  accumulate(update: EncodedUpdate, scale: number, reference?: Float32Array): UpdateStats {
    return accumulateUpdate(this.#sum, update, scale, reference);
  }

  /** accumulate with scale 0: every value is valid and finite, so each addend is ±0, and x + ±0 is x bit for bit. */
  measure(update: EncodedUpdate, reference?: Float32Array): UpdateStats {
    return this.accumulate(update, 0, reference);
  }

  snapshot(): Float32Array {
    return this.#sum.slice();
  }

  reset(): void {
    this.#sum.fill(0);
  }
}

export const referenceBackend: KernelBackend = {
  name: "ts-reference",
  createAccumulator: (dim: number): Accumulator => new ReferenceAccumulator(dim),
};
