/**
 * An index set as a bitmap of ⌈dim/8⌉ bytes: index i is bit (i mod 8) of byte ⌊i/8⌋,
 * bit 0 being the least significant. Costs dim bits whatever nnz is, so it wins only at
 * high density (above roughly 1 in 4, where a Golomb-Rice code also needs ~2+ bits per index).
 */
import { codecError } from "./codec-error";

export function bitmapBytes(dim: number): number {
  return Math.ceil(dim / 8);
}

/** Sets the bit of every index; out must be zero over the section. */
export function writeBitmap(out: Uint8Array, offset: number, indices: Uint32Array): void {
  for (const i of indices) {
    const at = offset + (i >>> 3);
    out[at] = out[at]! | (1 << (i & 7));
  }
}

/**
 * Reads the bitmap at bytes[start, start + ⌈dim/8⌉) (the caller has checked those bytes
 * exist) into out, whose length is the declared nnz. Throws before writing past out.
 */
export function readBitmap(bytes: Uint8Array, start: number, dim: number, out: Uint32Array): void {
  const nnz = out.length;
  const length = bitmapBytes(dim);
  let n = 0;
  for (let b = 0; b < length; b++) {
    let byte = bytes[start + b]!;
    while (byte !== 0) {
      const index = b * 8 + (31 - Math.clz32(byte & -byte));
      if (index >= dim) codecError("index_out_of_range", `bitmap bit ${index} is set, but dim is ${dim}`);
      if (n === nnz) codecError("count_mismatch", `the bitmap has more than nnz = ${nnz} bits set`);
      out[n++] = index;
      byte &= byte - 1;
    }
  }
  if (n !== nnz) codecError("count_mismatch", `the bitmap has ${n} bits set, but nnz is ${nnz}`);
}
