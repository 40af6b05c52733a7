// Varint index section (docs/codecs.md#index-section): nnz gaps as unsigned LEB128, each
// the shortest encoding of a value < 2³². Same checks, in the same order, as
// shared/codecs/varint.ts and index-section.ts.

import {
  INDEX_OUT_OF_RANGE,
  OK,
  TRAILING_BYTES,
  TRUNCATED,
  VARINT_OVERFLOW,
  VARINT_OVERLONG,
} from "./errors";

/**
 * Decodes the section [pos, end) into n indices below dim, stored as u32 at out. Every
 * byte is checked against end before it is read.
 */
export function readVarintIndices(pos: usize, end: usize, dim: u32, n: u32, out: usize): i32 {
  let next: u32 = 0; // the smallest value the next index may take; ≤ dim
  const outEnd = out + ((<usize>n) << 2);
  while (out < outEnd) {
    if (pos >= end) return TRUNCATED;
    let b = <u32>load<u8>(pos++);
    if (b < 0x80) {
      // One-byte gaps: all but ~10⁻⁶ of them at 10 % density, three quarters at 1 %.
      // Handled first, as the if's body: V8 lays that out inline, so the common case
      // takes no branch but the loop's (a quarter faster at 1 % than testing for the
      // rare case first, which made every one-byte gap jump over the longer ones).
      if (b >= dim - next) return INDEX_OUT_OF_RANGE; // next + gap ≥ dim, without overflow
      next += b;
      store<u32>(out, next);
      out += 4;
      next++;
      continue;
    }
    // Longer gaps, unrolled.
    if (pos >= end) return TRUNCATED;
    let gap = b & 0x7f;
    b = <u32>load<u8>(pos++);
    gap |= (b & 0x7f) << 7;
    if (b >= 0x80) {
      if (pos >= end) return TRUNCATED;
      b = <u32>load<u8>(pos++);
      gap |= (b & 0x7f) << 14;
      if (b >= 0x80) {
        if (pos >= end) return TRUNCATED;
        b = <u32>load<u8>(pos++);
        gap |= (b & 0x7f) << 21;
        if (b >= 0x80) {
          // The 5th byte holds bits 28…31: above 0x0f is a 6th byte or a value ≥ 2³².
          if (pos >= end) return TRUNCATED;
          b = <u32>load<u8>(pos++);
          if (b > 0x0f) return VARINT_OVERFLOW;
          gap |= b << 28;
        }
      }
    }
    if (b === 0) return VARINT_OVERLONG; // a last byte of 0 after another byte
    if (gap >= dim - next) return INDEX_OUT_OF_RANGE;
    next += gap;
    store<u32>(out, next);
    out += 4;
    next++;
  }
  return pos === end ? OK : TRAILING_BYTES;
}
