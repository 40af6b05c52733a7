/**
 * KernelBackend over the AssemblyScript SIMD kernel (wasm/assembly/kernels.ts).
 * Takes an already compiled WebAssembly.Module: Workers forbid compiling from bytes at
 * runtime but allow synchronous instantiation of a precompiled module. wasm/index.ts wires
 * in the bundled module; this file stays importable with any module (e.g. in tests).
 */
import type { Accumulator, KernelBackend } from "../shared/kernels/accumulator";
import { assertValidDim, assertValidInput } from "../shared/kernels/reference";

/** The kernel module's exports (typed boundary; asconfig.json builds it with no imports). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  /** First byte past the module's static data; our buffers start at or above it. */
  heapBase(): number;
  /** acc[i] += w · x[i] for i < n, on f32 buffers at byte offsets acc and x. */
  weightedSum(acc: number, x: number, n: number, w: number): void;
}

const PAGE_BYTES = 65536;
const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES; // wasm32 address space: 4 GiB

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * One instance (hence one linear memory) per accumulator. Layout, 16-byte aligned:
 *   [heapBase…][acc: dim f32][scratch: dim f32]
 * addWeighted copies x into scratch, then the kernel adds it into acc in place.
 */
class WasmAccumulator implements Accumulator {
  readonly dim: number;
  readonly #exports: KernelExports;
  readonly #accOffset: number;
  readonly #scratchOffset: number;
  #acc: Float32Array;
  #scratch: Float32Array;

  constructor(module: WebAssembly.Module, dim: number) {
    assertValidDim(dim);
    this.dim = dim;
    const exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    this.#exports = exports;
    const regionBytes = align16(dim * 4);
    this.#accOffset = align16(exports.heapBase());
    this.#scratchOffset = this.#accOffset + regionBytes;
    const required = this.#scratchOffset + regionBytes;
    if (required > MAX_MEMORY_BYTES) {
      throw new RangeError(`accumulator dim ${dim} does not fit in a 4 GiB wasm32 memory`);
    }
    const memory = exports.memory;
    const missingPages = Math.ceil((required - memory.buffer.byteLength) / PAGE_BYTES);
    if (missingPages > 0) memory.grow(missingPages);
    // Views are created after growing: grow() detaches views of the old buffer.
    this.#acc = new Float32Array(memory.buffer, this.#accOffset, dim);
    this.#scratch = new Float32Array(memory.buffer, this.#scratchOffset, dim);
    // Fresh memory is zeroed, so the sum starts at zero.
  }

  /** Re-creates the views if the memory has grown since (the kernel never grows it; defensive). */
  #refreshViews(): void {
    const buffer = this.#exports.memory.buffer;
    if (this.#acc.buffer !== buffer) {
      this.#acc = new Float32Array(buffer, this.#accOffset, this.dim);
      this.#scratch = new Float32Array(buffer, this.#scratchOffset, this.dim);
    }
  }

  addWeighted(x: Float32Array, w: number): void {
    assertValidInput(this.dim, x, w);
    this.#refreshViews();
    this.#scratch.set(x);
    this.#exports.weightedSum(this.#accOffset, this.#scratchOffset, this.dim, w);
  }

  snapshot(): Float32Array {
    this.#refreshViews();
    return this.#acc.slice();
  }

  reset(): void {
    this.#refreshViews();
    this.#acc.fill(0);
  }
}

export function createWasmBackend(module: WebAssembly.Module): KernelBackend {
  return {
    name: "wasm-simd",
    createAccumulator: (dim: number): Accumulator => new WasmAccumulator(module, dim),
  };
}
