// Where the sections of a sparse payload are, after every check that its length and
// 8-byte header decide (docs/codecs.md#sparse-payloads; shared/codecs/layout.ts, in the
// same order, so both refuse a payload for the same reason). Nothing is read from a
// section before its bytes are known to be inside the payload.

import {
  BAD_BLOCK_SIZE,
  BAD_INDEX_CODING,
  BAD_RICE_PARAMETER,
  COUNT_MISMATCH,
  LARGER_THAN_DENSE,
  OK,
  TRAILING_BYTES,
  TRUNCATED,
} from "./errors";

// Codec ids (frame byte 5) and index codings (sparse payload byte 0).
export const DENSE_F32: u32 = 0;
export const DENSE_F16: u32 = 1;
export const SPARSE_F32: u32 = 2;
export const SPARSE_F16: u32 = 3;
export const SPARSE_Q8: u32 = 4;
export const SPARSE_Q4: u32 = 5;
export const VARINT: u32 = 0;
export const BITMAP: u32 = 1;
export const RICE: u32 = 2;

export const SPARSE_HEADER_BYTES: u32 = 8;
const MAX_VARINT_BYTES: u64 = 5;

// The layout of the payload last checked by sparseLayout.
export let nnz: u32 = 0;
export let indexCoding: u32 = 0;
export let riceParameter: u32 = 0;
/** Values per scale for q8/q4; 0 for f32/f16. */
export let blockSize: u32 = 0;
/** Byte offset of the index section; the value section is [8, indexStart). */
export let indexStart: u32 = 0;

/** ⌈n / d⌉ for d ≥ 1. */
export function ceilDiv(n: u64, d: u64): u64 {
  return (n + d - 1) / d;
}

/** Bytes of the value section of a sparse codec: block scales, then values or levels. */
function valueSectionBytes(codec: u32, n: u64, b: u64): u64 {
  if (codec === SPARSE_F32) return 4 * n;
  if (codec === SPARSE_F16) return 2 * n;
  const scales = 4 * ceilDiv(n, b);
  return codec === SPARSE_Q8 ? scales + n : scales + ceilDiv(n, 2);
}

/** Checks a sparse payload's length and header (codec 2…5) and records its layout. */
export function sparseLayout(codec: u32, payload: usize, length: u32, dim: u32): i32 {
  if (<u64>length > 4 * <u64>dim) return LARGER_THAN_DENSE;
  if (length < SPARSE_HEADER_BYTES) return TRUNCATED;
  const coding = <u32>load<u8>(payload);
  const k = <u32>load<u8>(payload, 1);
  const b = <u32>load<u16>(payload, 2);
  const n = load<u32>(payload, 4);
  if (n > dim) return COUNT_MISMATCH;
  if (coding > RICE) return BAD_INDEX_CODING;
  if (coding === RICE) {
    if (k > 31 - clz(dim)) return BAD_RICE_PARAMETER; // 2ᵏ ≤ dim
  } else if (k !== 0) {
    return BAD_RICE_PARAMETER;
  }
  const quantized = codec === SPARSE_Q8 || codec === SPARSE_Q4;
  if (quantized && b === 0) return BAD_BLOCK_SIZE;
  if (!quantized && b !== 0) return BAD_BLOCK_SIZE;

  // u64 throughout: nnz·(k + 1) and the section sizes can pass 2³² for large dims.
  const start = <u64>SPARSE_HEADER_BYTES + valueSectionBytes(codec, n, b);
  if (start > <u64>length) return TRUNCATED;
  const indexBytes = <u64>length - start;
  let min: u64;
  let max: u64;
  if (coding === VARINT) {
    min = n;
    max = MAX_VARINT_BYTES * n;
  } else if (coding === BITMAP) {
    min = ceilDiv(dim, 8);
    max = min;
  } else {
    // Each code has ≥ k + 1 bits; the unary parts add up to at most ⌊(dim − nnz) / 2ᵏ⌋.
    const fixed = <u64>n * (k + 1);
    min = ceilDiv(fixed, 8);
    max = ceilDiv(fixed + (<u64>(dim - n) >> k), 8);
  }
  if (indexBytes < min) return TRUNCATED;
  if (indexBytes > max) return TRAILING_BYTES;

  nnz = n;
  indexCoding = coding;
  riceParameter = k;
  blockSize = b;
  indexStart = <u32>start;
  return OK;
}
