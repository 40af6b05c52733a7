/**
 * KernelBackend over the AssemblyScript kernels (wasm/assembly/kernels.ts).
 * Takes an already compiled WebAssembly.Module: Workers forbid compiling from bytes at
 * runtime but allow synchronous instantiation of a precompiled module. wasm/index.ts wires
 * in the bundled module; this file stays importable with any module (e.g. in tests).
 */
import type { EncodedUpdate, UpdateStats } from "../shared/codecs/accumulate";
import { codecInfo } from "../shared/codecs/ids";
import { maxPayloadBytes } from "../shared/codecs/layout";
import type { Accumulator, KernelBackend } from "../shared/kernels/accumulator";
import { assertValidDim, assertValidInput } from "../shared/kernels/reference";
import { kernelError } from "./kernel-errors";

/** The kernel module's exports (typed boundary; asconfig.json builds it with no imports). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  /** First byte past the module's static data; our buffers start at or above it. */
  heapBase(): number;
  /** acc[i] += w · x[i] for i < n, on f32 buffers at byte offsets acc and x. */
  weightedSum(acc: number, x: number, n: number, w: number): void;
  /**
   * Validates the payload of codec at [payload, payload + length) and, if valid, adds
   * w × its values into the dim floats at acc; returns 0 or an error code
   * (./kernel-errors.ts). indices: scratch for dim u32s; reference: dim floats, or 0.
   */
  accumulate(
    codec: number,
    payload: number,
    length: number,
    dim: number,
    acc: number,
    indices: number,
    reference: number,
    w: number,
  ): number;
  /** ‖v‖² of the last accepted payload. */
  lastSquaredNorm(): number;
  /** ⟨v, reference⟩ of the last accepted payload. */
  lastDot(): number;
}

const PAGE_BYTES = 65536;
const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES; // wasm32 address space: 4 GiB
/** Not a codec id, so the kernel refuses it as unknown_codec (ids that are not u32s end up here). */
const NOT_A_CODEC = 0xffff_ffff;

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * One instance (hence one linear memory) per accumulator. Layout, 16-byte aligned, each
 * region 4·dim bytes:
 *   [heapBase…][acc: dim f32][input][indices: dim u32][reference: dim f32]
 * input holds addWeighted's x or a payload (no legal payload is larger: docs/codecs.md);
 * memory grows into indices on the first sparse payload and into reference on the first
 * reference, so a tier that only sums dense partials keeps two regions.
 */
class WasmAccumulator implements Accumulator {
  readonly dim: number;
  readonly #exports: KernelExports;
  readonly #accOffset: number;
  readonly #inputOffset: number;
  readonly #indicesOffset: number;
  readonly #referenceOffset: number;
  #memory!: Uint8Array;
  #acc!: Float32Array;

  constructor(module: WebAssembly.Module, dim: number) {
    assertValidDim(dim);
    this.dim = dim;
    this.#exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    const regionBytes = align16(dim * 4);
    this.#accOffset = align16(this.#exports.heapBase());
    this.#inputOffset = this.#accOffset + regionBytes;
    this.#indicesOffset = this.#inputOffset + regionBytes;
    this.#referenceOffset = this.#indicesOffset + regionBytes;
    if (this.#referenceOffset + regionBytes > MAX_MEMORY_BYTES) {
      throw new RangeError(`accumulator dim ${dim} does not fit in a 4 GiB wasm32 memory`);
    }
    // Fresh memory is zeroed, so the sum starts at zero.
    this.#reserve(this.#indicesOffset);
  }

  /** Grows the memory to at least `bytes`, and re-creates the views: grow() detaches views of the old buffer. */
  #reserve(bytes = 0): void {
    const memory = this.#exports.memory;
    const missingPages = Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES);
    if (missingPages > 0) memory.grow(missingPages);
    if (this.#memory?.buffer !== memory.buffer) {
      this.#memory = new Uint8Array(memory.buffer);
      this.#acc = new Float32Array(memory.buffer, this.#accOffset, this.dim);
    }
  }

  get memoryBytes(): number {
    return this.#exports.memory.buffer.byteLength;
  }

  addWeighted(x: Float32Array, w: number): void {
    assertValidInput(this.dim, x, w);
    this.#reserve();
    new Float32Array(this.#memory.buffer, this.#inputOffset, this.dim).set(x);
    this.#exports.weightedSum(this.#accOffset, this.#inputOffset, this.dim, w);
  }

  accumulate(update: EncodedUpdate, scale: number, reference?: Float32Array): UpdateStats {
    const w = Math.fround(scale);
    if (!Number.isFinite(w)) throw new RangeError(`scale must be a finite f32 number, got ${scale}`);
    if (reference && reference.length !== this.dim) {
      throw new RangeError(`reference length ${reference.length} ≠ accumulator length ${this.dim}`);
    }
    const { codec, payload } = update;
    this.#reserve(
      reference ? this.#referenceOffset + 4 * this.dim : codecInfo(codec)?.sparse ? this.#referenceOffset : 0,
    );
    // A longer payload is refused from its length alone (larger_than_dense, trailing_bytes
    // or unknown_codec) before the kernel reads any of it, so it is not copied in.
    if (payload.byteLength <= maxPayloadBytes(this.dim)) this.#memory.set(payload, this.#inputOffset);
    if (reference) new Float32Array(this.#memory.buffer, this.#referenceOffset, this.dim).set(reference);
    const code = this.#exports.accumulate(
      codec >>> 0 === codec ? codec : NOT_A_CODEC,
      this.#inputOffset,
      Math.min(payload.byteLength, 0xffff_ffff),
      this.dim,
      this.#accOffset,
      this.#indicesOffset,
      reference ? this.#referenceOffset : 0,
      w,
    );
    if (code !== 0) throw kernelError(code, codec, payload, this.dim);
    return { squaredNorm: this.#exports.lastSquaredNorm(), dot: reference ? this.#exports.lastDot() : 0 };
  }

  /** accumulate with scale 0: every value is valid and finite, so each addend is ±0, and x + ±0 is x bit for bit. */
  measure(update: EncodedUpdate, reference?: Float32Array): UpdateStats {
    return this.accumulate(update, 0, reference);
  }

  snapshot(): Float32Array {
    this.#reserve();
    return this.#acc.slice();
  }

  reset(): void {
    this.#reserve();
    this.#acc.fill(0);
  }
}

export function createWasmBackend(module: WebAssembly.Module): KernelBackend {
  return {
    name: "wasm-simd",
    createAccumulator: (dim: number): Accumulator => new WasmAccumulator(module, dim),
  };
}
