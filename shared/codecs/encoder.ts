/**
 * The update encoder a device runs: a dense update Δ to one frame (docs/codecs.md).
 *
 * Without a density, bits 32 and 16 send every value (dense-f32, dense-f16). With one,
 * the encoder keeps the k = round(density · dim) largest |Δᵢ| (at least 1; top-k.ts),
 * codes their values as f32, f16, or 8-/4-bit stochastic levels with a scale per block
 * (quantize.ts), and their indices in whichever of varint, bitmap or Golomb-Rice is
 * smallest for this update (index-section.ts). 8- and 4-bit values are sparse codecs
 * only; without a density they keep every index (density 1).
 *
 * A sparse payload may not be larger than the dense-f32 one (the rule that bounds every
 * frame, layout.ts); where it would be — high density with f32 values, or a tiny dim —
 * the encoder sends dense-f32 of exactly the values the sparse frame would have carried,
 * so what the server decodes, and what error feedback subtracts, is the same either way.
 * Deflate is a separate, asynchronous step: deflateFrame in deflate.ts.
 */
import { type EncodeOptions, encodeFrame, MAX_DIM } from "../protocol/frame";
import { Codec, type CodecId, type IndexCodingId, type ValueCoding } from "./ids";
import { type IndexSection, indexSections, smallestIndexSection, writeIndexSection } from "./index-section";
import { MAX_BLOCK_SIZE, maxPayloadBytes, SPARSE_HEADER_BYTES } from "./layout";
import { topK } from "./top-k";
import { encodeValueSection } from "./value-section";

export type ValueBits = 32 | 16 | 8 | 4;

/** Values per quantization block: one 4-byte scale per 512 values costs 0.0625 bits per value. */
export const DEFAULT_BLOCK_SIZE = 512;

export interface CompressionOptions {
  /** Fraction of the values to send, 0 < density ≤ 1. Omit to send every value. */
  density?: number;
  /** Bits per value: 32 or 16 (IEEE floats), 8 or 4 (stochastic levels). Default 32. */
  bits?: ValueBits;
  /** Values per quantization block, 1 … 65535. Default 512. */
  blockSize?: number;
  /** Uniform draws in [0, 1) for stochastic rounding. Default Math.random; seed it to reproduce. */
  random?: () => number;
  /** Use this index coding rather than the smallest (golden vectors, interoperability tests). */
  indexCoding?: IndexCodingId;
}

export type EncodeUpdateOptions = CompressionOptions & EncodeOptions;

const VALUE_CODING: Record<ValueBits, ValueCoding> = { 32: "f32", 16: "f16", 8: "q8", 4: "q4" };

const SPARSE_CODEC: Record<ValueCoding, CodecId> = {
  f32: Codec.SparseF32,
  f16: Codec.SparseF16,
  q8: Codec.SparseQ8,
  q4: Codec.SparseQ4,
};

/**
 * Encodes values (finite) as a frame. Throws a RangeError on invalid input or options,
 * and at 8/4 bits for a value so near the f32 maximum (≈ 3.4e38) that its level would
 * decode to ∞.
 */
export function encodeUpdate(values: Float32Array, options: EncodeUpdateOptions): Uint8Array {
  const dim = values.length;
  const bits = options.bits ?? 32;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const random = options.random ?? Math.random;
  if (dim === 0 || dim > MAX_DIM) throw new RangeError(`an update has 1..${MAX_DIM} values, got ${dim}`);
  if (!Object.hasOwn(VALUE_CODING, bits)) throw new RangeError(`bits must be 32, 16, 8 or 4, got ${bits}`);
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
    throw new RangeError(`blockSize must be an integer in 1..${MAX_BLOCK_SIZE}, got ${blockSize}`);
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(values[i]!)) throw new RangeError(`value at index ${i} is ${values[i]}`);
  }
  const coding = VALUE_CODING[bits];
  if (options.density === undefined && (coding === "f32" || coding === "f16")) {
    const codec = coding === "f32" ? Codec.DenseF32 : Codec.DenseF16;
    const { bytes } = encodeValueSection(values, coding, 0, random);
    return encodeFrame({ codec, flags: 0, dim, nnz: dim }, bytes, options);
  }
  const density = options.density ?? 1;
  if (!(density > 0 && density <= 1)) throw new RangeError(`density must be in (0, 1], got ${density}`);
  const k = Math.min(dim, Math.max(1, Math.round(density * dim)));
  const indices = topK(values, k);
  const selected = new Float32Array(k);
  for (let j = 0; j < k; j++) selected[j] = values[indices[j]!]!;
  const quantized = coding === "q8" || coding === "q4";
  const { bytes, decoded } = encodeValueSection(selected, coding, quantized ? blockSize : 0, random);
  const section =
    options.indexCoding === undefined
      ? smallestIndexSection(indices, dim)
      : indexSections(indices, dim)[options.indexCoding]!;
  const indexOffset = SPARSE_HEADER_BYTES + bytes.byteLength;
  if (indexOffset + section.bytes > maxPayloadBytes(dim)) {
    const dense = new Float32Array(dim);
    for (let j = 0; j < k; j++) dense[indices[j]!] = decoded[j]!;
    return encodeFrame(
      { codec: Codec.DenseF32, flags: 0, dim, nnz: dim },
      new Uint8Array(dense.buffer),
      options,
    );
  }
  const payload = sparsePayload(section, indices, bytes, quantized ? blockSize : 0);
  return encodeFrame({ codec: SPARSE_CODEC[coding], flags: 0, dim, nnz: k }, payload, options);
}

/** A sparse payload (docs/codecs.md): header, value section, index section. */
function sparsePayload(
  section: IndexSection,
  indices: Uint32Array,
  valueBytes: Uint8Array,
  blockSize: number,
): Uint8Array {
  const indexOffset = SPARSE_HEADER_BYTES + valueBytes.byteLength;
  const payload = new Uint8Array(indexOffset + section.bytes);
  const view = new DataView(payload.buffer);
  view.setUint8(0, section.coding);
  view.setUint8(1, section.riceParameter);
  view.setUint16(2, blockSize, true);
  view.setUint32(4, indices.length, true);
  payload.set(valueBytes, SPARSE_HEADER_BYTES);
  writeIndexSection(payload, indexOffset, section, indices);
  return payload;
}

/**
 * A raw payload that decodes to exactly `values` (finite): its nonzero entries as
 * sparse-f32 when that is smaller, else dense-f32. What an aggregator sends its parent:
 * summing it adds the same f32 values at the same indices as the dense vector would
 * (the zeros add nothing), so the parent's sum is bit for bit the same.
 */
export function encodeExact(values: Float32Array): { codec: CodecId; payload: Uint8Array } {
  const dim = values.length;
  let nnz = 0;
  for (let i = 0; i < dim; i++) if (values[i] !== 0) nnz++;
  // Sparse needs at least 8 bytes per nonzero (4 for the value, ≥ 4 for header and index) on top.
  if (nnz > 0 && SPARSE_HEADER_BYTES + 4 * nnz < 4 * dim) {
    const indices = new Uint32Array(nnz);
    const selected = new Float32Array(nnz);
    for (let i = 0, j = 0; i < dim; i++) {
      if (values[i] !== 0) {
        indices[j] = i;
        selected[j++] = values[i]!;
      }
    }
    const section = smallestIndexSection(indices, dim);
    const valueBytes = encodeValueSection(selected, "f32", 0, Math.random).bytes;
    if (SPARSE_HEADER_BYTES + valueBytes.byteLength + section.bytes <= maxPayloadBytes(dim)) {
      return { codec: Codec.SparseF32, payload: sparsePayload(section, indices, valueBytes, 0) };
    }
  }
  return { codec: Codec.DenseF32, payload: encodeValueSection(values, "f32", 0, Math.random).bytes };
}
