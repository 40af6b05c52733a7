/**
 * Where each section of a payload is, and every check that needs no more than the
 * payload's length and its 8-byte sparse header (docs/codecs.md#sparse-payloads): the frame
 * parser runs these on every raw payload, the decoder before it reads a section. Each
 * length is checked against the bytes present before anything is read from it.
 *
 * Dense payload: the values, nothing else. Sparse payload:
 *   [0] u8 index coding  [1] u8 Rice parameter k  [2..3] u16 block size B  [4..7] u32 nnz
 *   [8…] value section (its size follows from nnz and B)   […end] index section
 *
 * No raw payload may be larger than the dense-f32 payload of the same dim (4·dim bytes):
 * an encoder sends dense-f32 instead, which carries the same values. So 48 + 4·dim bounds
 * every frame of a task, deflated or not, and bounds what a deflated payload may inflate to.
 */

import { bitmapBytes } from "./bitmap";
import { codecError } from "./codec-error";
import { maxRiceParameter } from "./golomb-rice";
import {
  type CodecId,
  codecInfo,
  IndexCoding,
  type IndexCodingId,
  isIndexCoding,
  type ValueCoding,
} from "./ids";
import { MAX_VARINT_BYTES } from "./varint";

export const SPARSE_HEADER_BYTES = 8;
export const MAX_BLOCK_SIZE = 0xffff;

export interface DenseLayout {
  sparse: false;
  values: ValueCoding;
  nnz: number;
}

export interface SparseLayout {
  sparse: true;
  values: ValueCoding;
  nnz: number;
  indexCoding: IndexCodingId;
  riceParameter: number;
  /** Values per scale (8-/4-bit); 0 for float values. */
  blockSize: number;
  /** Byte offset of the index section; the value section is [8, indexOffset). */
  indexOffset: number;
}

export type PayloadLayout = DenseLayout | SparseLayout;

/** The largest legal raw payload for dim: the dense-f32 one. */
export function maxPayloadBytes(dim: number): number {
  return 4 * dim;
}

export function scaleCount(nnz: number, blockSize: number): number {
  return blockSize === 0 ? 0 : Math.ceil(nnz / blockSize);
}

/** Bytes of a value section: the scales, then the values or levels. */
export function valueSectionBytes(values: ValueCoding, nnz: number, blockSize: number): number {
  switch (values) {
    case "f32":
      return 4 * nnz;
    case "f16":
      return 2 * nnz;
    case "q8":
      return 4 * scaleCount(nnz, blockSize) + nnz;
    case "q4":
      return 4 * scaleCount(nnz, blockSize) + Math.ceil(nnz / 2);
  }
}

/** The frame header's nnz against its codec and dim: dense frames carry every value, sparse ones at most dim. */
export function checkCounts(codec: CodecId, dim: number, nnz: number): void {
  const info = codecInfo(codec)!;
  if (!info.sparse && nnz !== dim) codecError("count_mismatch", `dense frame has nnz ${nnz} ≠ dim ${dim}`);
  if (info.sparse && nnz > dim) codecError("count_mismatch", `nnz ${nnz} > dim ${dim}`);
}

/**
 * The sections of a raw payload, after checking everything its length and header
 * determine. declaredNnz is the frame header's nnz when there is one.
 */
export function payloadLayout(
  codec: number,
  dim: number,
  payload: Uint8Array,
  declaredNnz?: number,
): PayloadLayout {
  const info = codecInfo(codec) ?? codecError("unknown_codec", `codec ${codec}`);
  const length = payload.byteLength;
  if (!info.sparse) {
    const expected = valueSectionBytes(info.values, dim, 0);
    if (length !== expected) {
      codecError(
        length < expected ? "truncated" : "trailing_bytes",
        `${info.name} payload must be dim × ${expected / dim} = ${expected} bytes, got ${length}`,
      );
    }
    return { sparse: false, values: info.values, nnz: dim };
  }

  if (length > maxPayloadBytes(dim)) {
    codecError(
      "larger_than_dense",
      `payload is ${length} bytes, more than dense-f32's ${maxPayloadBytes(dim)}`,
    );
  }
  if (length < SPARSE_HEADER_BYTES) {
    codecError(
      "truncated",
      `sparse payload is ${length} bytes, shorter than its ${SPARSE_HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, length);
  const indexCoding = view.getUint8(0);
  const riceParameter = view.getUint8(1);
  const blockSize = view.getUint16(2, true);
  const nnz = view.getUint32(4, true);
  if (declaredNnz !== undefined && nnz !== declaredNnz) {
    codecError("count_mismatch", `payload nnz ${nnz} ≠ frame nnz ${declaredNnz}`);
  }
  if (nnz > dim) codecError("count_mismatch", `nnz ${nnz} > dim ${dim}`);
  if (!isIndexCoding(indexCoding))
    codecError("bad_index_coding", `index coding ${indexCoding} is not 0, 1 or 2`);
  if (indexCoding === IndexCoding.Rice) {
    if (riceParameter > maxRiceParameter(dim)) {
      codecError("bad_rice_parameter", `Rice parameter ${riceParameter}: 2^k must be ≤ dim ${dim}`);
    }
  } else if (riceParameter !== 0) {
    codecError(
      "bad_rice_parameter",
      `Rice parameter ${riceParameter} must be 0 for index coding ${indexCoding}`,
    );
  }
  const quantized = info.values === "q8" || info.values === "q4";
  if (quantized && blockSize === 0) codecError("bad_block_size", `${info.name} needs a block size ≥ 1`);
  if (!quantized && blockSize !== 0)
    codecError("bad_block_size", `${info.name} must have block size 0, got ${blockSize}`);

  const indexOffset = SPARSE_HEADER_BYTES + valueSectionBytes(info.values, nnz, blockSize);
  if (indexOffset > length) {
    codecError(
      "truncated",
      `the value section needs ${indexOffset - SPARSE_HEADER_BYTES} bytes, the payload has ${length - SPARSE_HEADER_BYTES}`,
    );
  }
  const [min, max] = indexSectionBounds(indexCoding, riceParameter, dim, nnz);
  const indexBytes = length - indexOffset;
  if (indexBytes < min)
    codecError("truncated", `the index section needs at least ${min} bytes, has ${indexBytes}`);
  if (indexBytes > max)
    codecError("trailing_bytes", `the index section may have at most ${max} bytes, has ${indexBytes}`);
  return {
    sparse: true,
    values: info.values,
    nnz,
    indexCoding,
    riceParameter,
    blockSize,
    indexOffset,
  };
}

/** Fewest and most bytes an index section of nnz indices below dim can take. */
function indexSectionBounds(coding: IndexCodingId, k: number, dim: number, nnz: number): [number, number] {
  switch (coding) {
    case IndexCoding.Varint:
      return [nnz, MAX_VARINT_BYTES * nnz];
    case IndexCoding.Bitmap:
      return [bitmapBytes(dim), bitmapBytes(dim)];
    case IndexCoding.Rice: {
      // Each code has ≥ k + 1 bits; the unary parts add up to at most ⌊Σ gaps / 2ᵏ⌋ ≤ ⌊(dim − nnz) / 2ᵏ⌋.
      const fixed = nnz * (k + 1);
      return [Math.ceil(fixed / 8), Math.ceil((fixed + Math.floor((dim - nnz) / 2 ** k)) / 8)];
    }
  }
}
