/**
 * The hot path of every aggregator tier: a dense f32 running sum, `sum += w · x`, and
 * the accumulate contract of shared/codecs/accumulate.ts, which adds an encoded update
 * straight from its payload. Two implementations satisfy this contract: the TypeScript
 * reference (./reference.ts, the test oracle) and the WASM SIMD kernels (wasm/accumulator.ts).
 */
import type { EncodedUpdate, UpdateStats } from "../codecs/accumulate";

export interface Accumulator {
  /** Number of parameters. */
  readonly dim: number;
  /** Bytes of memory it holds (for monitoring). */
  readonly memoryBytes: number;
  /** sum[i] += w · x[i] for every i. Throws a RangeError if x.length ≠ dim or w is not a finite f32. */
  addWeighted(x: Float32Array, w: number): void;
  /**
   * Adds scale × the values of a raw (inflated) payload, as shared/codecs/accumulate.ts
   * specifies, and returns their ‖v‖² and ⟨v, reference⟩. The whole payload is validated
   * first: a bad one throws its CodecError and leaves the sum unchanged. Throws a
   * RangeError if scale is not a finite f32 or the reference's length is not dim.
   */
  accumulate(update: EncodedUpdate, scale: number, reference?: Float32Array): UpdateStats;
  /**
   * Validates a raw payload and returns its ‖v‖² and ⟨v, reference⟩ without changing the
   * sum: what a tier needs before it decides how to scale (clip) or whether to refuse an
   * input. Throws as accumulate does.
   */
  measure(update: EncodedUpdate, reference?: Float32Array): UpdateStats;
  /** A copy of the running sum. */
  snapshot(): Float32Array;
  /** Sets the running sum to zero. */
  reset(): void;
}

export interface KernelBackend {
  readonly name: string;
  createAccumulator(dim: number): Accumulator;
}
