/**
 * The plain JavaScript a programmer would write to decode a payload and add it into the
 * accumulator: typed arrays, a DataView, one loop per section, no validation at all (a
 * bad payload reads garbage or throws a RangeError). The benchmark's baseline for "what
 * WASM buys"; each returns ‖v‖² like the kernels, and is checked against them.
 */
import { Codec, IndexCoding } from "../../shared/codecs/ids";

/** acc[i] += w · x[i]: the dense weighted sum. */
export function weightedSumLoop(acc: Float32Array, x: Float32Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + w * x[i]!;
}

function halfToFloat(h: number): number {
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  const magnitude = exponent === 0 ? mantissa * 2 ** -24 : (1024 + mantissa) * 2 ** (exponent - 25);
  return h & 0x8000 ? -magnitude : magnitude;
}

/** A dense-f32 or dense-f16 payload (at a 4-byte aligned offset) added into acc. */
export function denseLoop(acc: Float32Array, codec: number, payload: Uint8Array, w: number): number {
  let norm = 0;
  if (codec === Codec.DenseF32) {
    const x = new Float32Array(payload.buffer, payload.byteOffset, acc.length);
    for (let i = 0; i < acc.length; i++) {
      const v = x[i]!;
      acc[i] = acc[i]! + w * v;
      norm += v * v;
    }
  } else {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let i = 0; i < acc.length; i++) {
      const v = halfToFloat(view.getUint16(2 * i, true));
      acc[i] = acc[i]! + w * v;
      norm += v * v;
    }
  }
  return norm;
}

/** The values of a sparse payload's value section (codec 2…5), decoded into an array. */
function readValues(codec: number, payload: Uint8Array, view: DataView, nnz: number, blockSize: number) {
  const values = new Float32Array(nnz);
  if (codec === Codec.SparseF32) {
    for (let j = 0; j < nnz; j++) values[j] = view.getFloat32(8 + 4 * j, true);
  } else if (codec === Codec.SparseF16) {
    for (let j = 0; j < nnz; j++) values[j] = halfToFloat(view.getUint16(8 + 2 * j, true));
  } else if (codec === Codec.SparseQ8) {
    const levels = 8 + 4 * Math.ceil(nnz / blockSize);
    for (let j = 0; j < nnz; j++) {
      values[j] =
        ((payload[levels + j]! << 24) >> 24) * view.getFloat32(8 + 4 * Math.floor(j / blockSize), true);
    }
  } else {
    const levels = 8 + 4 * Math.ceil(nnz / blockSize);
    for (let j = 0; j < nnz; j++) {
      const level = ((payload[levels + (j >> 1)]! >> (4 * (j & 1))) << 28) >> 28;
      values[j] = level * view.getFloat32(8 + 4 * Math.floor(j / blockSize), true);
    }
  }
  return values;
}

function addVarint(acc: Float32Array, values: Float32Array, payload: Uint8Array, start: number, w: number) {
  let pos = start;
  let next = 0;
  let norm = 0;
  for (let j = 0; j < values.length; j++) {
    let b = payload[pos++]!;
    let gap = b & 0x7f;
    for (let shift = 7; b & 0x80; shift += 7) {
      b = payload[pos++]!;
      gap |= (b & 0x7f) << shift;
    }
    const i = next + gap;
    const v = values[j]!;
    acc[i] = acc[i]! + w * v;
    norm += v * v;
    next = i + 1;
  }
  return norm;
}

function addBitmap(acc: Float32Array, values: Float32Array, payload: Uint8Array, start: number, w: number) {
  let j = 0;
  let norm = 0;
  for (let b = 0; b < Math.ceil(acc.length / 8); b++) {
    let byte = payload[start + b]!;
    while (byte !== 0) {
      const i = 8 * b + 31 - Math.clz32(byte & -byte);
      const v = values[j++]!;
      acc[i] = acc[i]! + w * v;
      norm += v * v;
      byte &= byte - 1;
    }
  }
  return norm;
}

function addRice(
  acc: Float32Array,
  values: Float32Array,
  payload: Uint8Array,
  start: number,
  k: number,
  w: number,
) {
  let bit = 8 * start;
  let next = 0;
  let norm = 0;
  for (let j = 0; j < values.length; j++) {
    let q = 0;
    while ((payload[bit >>> 3]! >> (bit & 7)) & 1) {
      q++;
      bit++;
    }
    bit++;
    let r = 0;
    for (let t = 0; t < k; t++, bit++) r |= ((payload[bit >>> 3]! >> (bit & 7)) & 1) << t;
    const i = next + (q << k) + r;
    const v = values[j]!;
    acc[i] = acc[i]! + w * v;
    norm += v * v;
    next = i + 1;
  }
  return norm;
}

/** A sparse payload (codec 2…5): its values decoded, then its indices walked, adding each value. */
export function sparseLoop(acc: Float32Array, codec: number, payload: Uint8Array, w: number): number {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const blockSize = view.getUint16(2, true);
  const nnz = view.getUint32(4, true);
  const values = readValues(codec, payload, view, nnz, blockSize);
  const valueBytes =
    codec === Codec.SparseF32
      ? 4 * nnz
      : codec === Codec.SparseF16
        ? 2 * nnz
        : 4 * Math.ceil(nnz / blockSize) + (codec === Codec.SparseQ8 ? nnz : Math.ceil(nnz / 2));
  const start = 8 + valueBytes;
  if (payload[0] === IndexCoding.Varint) return addVarint(acc, values, payload, start, w);
  if (payload[0] === IndexCoding.Bitmap) return addBitmap(acc, values, payload, start, w);
  return addRice(acc, values, payload, start, payload[1]!, w);
}
