// Bitmap index section (docs/codecs.md#index-section): ⌈dim/8⌉ bytes, index i is bit
// (i mod 8) of byte ⌊i/8⌋. Same checks, in the same order, as shared/codecs/bitmap.ts.

import { COUNT_MISMATCH, INDEX_OUT_OF_RANGE, OK } from "./errors";

/**
 * Decodes the bitmap at start (the caller has checked its ⌈dim/8⌉ bytes are in the
 * payload) into n indices at out; never stores more than n.
 */
export function readBitmapIndices(start: usize, dim: u32, n: u32, out: usize): i32 {
  const length = (dim >> 3) + u32((dim & 7) !== 0);
  let found: u32 = 0;
  let b: u32 = 0;
  // Whole 8-byte words before the last byte: only bits below dim, so the only possible
  // error is a count past n, and a popcount finds it before any store.
  const words = (length - 1) & ~7;
  for (; b < words; b += 8) {
    let word = load<u64>(start + b);
    if (word === 0) continue;
    if (<u32>popcnt(word) > n - found) return COUNT_MISMATCH;
    const base = b << 3;
    let at = out + ((<usize>found) << 2);
    found += <u32>popcnt(word);
    while (word !== 0) {
      store<u32>(at, base + <u32>ctz(word));
      at += 4;
      word &= word - 1;
    }
  }
  // The rest byte by byte; the last byte may hold bits ≥ dim.
  for (; b < length; b++) {
    let byte = <u32>load<u8>(start + b);
    while (byte !== 0) {
      const index = (b << 3) + ctz(byte);
      if (index >= dim) return INDEX_OUT_OF_RANGE;
      if (found === n) return COUNT_MISMATCH;
      store<u32>(out + ((<usize>found) << 2), index);
      found++;
      byte &= byte - 1;
    }
  }
  return found === n ? OK : COUNT_MISMATCH;
}
