/**
 * The hot path of every aggregator tier: a dense f32 running sum, `sum += w · x`.
 * Two implementations satisfy this contract: the TypeScript reference
 * (./reference.ts, the test oracle) and the WASM SIMD kernel (wasm/accumulator.ts).
 */
export interface Accumulator {
  /** Number of parameters. */
  readonly dim: number;
  /** sum[i] += w · x[i] for every i. Throws a RangeError if x.length ≠ dim or w is not finite. */
  addWeighted(x: Float32Array, w: number): void;
  /** A copy of the running sum. */
  snapshot(): Float32Array;
  /** Sets the running sum to zero. */
  reset(): void;
}

export interface KernelBackend {
  readonly name: string;
  createAccumulator(dim: number): Accumulator;
}
