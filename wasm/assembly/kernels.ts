// The aggregation kernels' entry points. No allocation happens here: the host
// (wasm/accumulator.ts) owns the memory layout and passes raw byte offsets.
//
// accumulate is the contract of shared/codecs/accumulate.ts for one raw (inflated)
// payload: validate all of it, then add scale × its values into acc. Validation reads
// only the payload and writes only the index scratch, so acc is untouched whenever an
// error code is returned, and no index ≥ dim is ever written.

import { readBitmapIndices } from "./bitmap";
import { accumulateDense } from "./dense";
import { NON_FINITE_VALUE, OK, TRAILING_BYTES, TRUNCATED, UNKNOWN_CODEC } from "./errors";
import {
  BITMAP,
  blockSize,
  DENSE_F16,
  DENSE_F32,
  indexCoding,
  indexStart,
  nnz,
  riceParameter,
  SPARSE_HEADER_BYTES,
  SPARSE_Q4,
  sparseLayout,
  VARINT,
} from "./layout";
import { readRiceIndices } from "./rice";
import { scatterAdd } from "./scatter";
import { dot, squaredNorm } from "./stats";
import { checkValueSection } from "./values";
import { readVarintIndices } from "./varint";

export { weightedSum } from "./dense";

/**
 * First byte past static data. The host places its buffers at or above this (rounded up
 * to 16), so that adding static data to this module later cannot silently overlap them.
 */
export function heapBase(): usize {
  return __heap_base;
}

/** ‖v‖² of the last accepted update. */
export function lastSquaredNorm(): f64 {
  return squaredNorm;
}

/** ⟨v, reference⟩ of the last accepted update (0 when it had no reference). */
export function lastDot(): f64 {
  return dot;
}

/**
 * Validates the payload of codec at [payload, payload + length) for dim parameters and,
 * if it is valid, adds w × its values into the dim floats at acc; returns OK (0) or the
 * code of the first rule broken (./errors.ts). indices is scratch for up to dim u32s
 * (sparse codecs only); reference is dim floats, or 0 for none. A payload longer than
 * 4·dim bytes is refused from its length alone, before any byte of it is read.
 */
export function accumulate(
  codec: u32,
  payload: usize,
  length: u32,
  dim: u32,
  acc: usize,
  indices: usize,
  reference: usize,
  w: f32,
): i32 {
  if (codec > SPARSE_Q4) return UNKNOWN_CODEC;
  if (codec === DENSE_F32 || codec === DENSE_F16) {
    const expected = (<u64>dim) << (codec === DENSE_F32 ? 2 : 1);
    if (<u64>length !== expected) return <u64>length < expected ? TRUNCATED : TRAILING_BYTES;
    if (checkValueSection(codec, payload, dim, 0) !== OK) return NON_FINITE_VALUE;
    accumulateDense(codec === DENSE_F16, payload, dim, acc, reference, w);
    return OK;
  }

  let code = sparseLayout(codec, payload, length, dim);
  if (code !== OK) return code;
  const end = payload + length;
  if (indexCoding === VARINT) code = readVarintIndices(payload + indexStart, end, dim, nnz, indices);
  else if (indexCoding === BITMAP) code = readBitmapIndices(payload + indexStart, dim, nnz, indices);
  else code = readRiceIndices(payload + indexStart, end, dim, riceParameter, nnz, indices);
  if (code !== OK) return code;
  const values = payload + SPARSE_HEADER_BYTES;
  code = checkValueSection(codec, values, nnz, blockSize);
  if (code !== OK) return code;
  scatterAdd(codec, values, blockSize, indices, nnz, acc, reference, w);
  return OK;
}
