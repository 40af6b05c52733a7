// Golomb-Rice index section (docs/codecs.md#index-section): gap g as ⌊g/2ᵏ⌋ one-bits, a
// zero-bit, then its k low bits, least significant first; the stream fills each byte
// from bit 0. Same checks as shared/codecs/golomb-rice.ts, and the same first error.
//
// Fast path: while 8 section bytes remain, one unaligned u64 load gives a window of
// 57…64 bits, and every code that lies wholly inside it is decoded from a register — a
// count of trailing ones, a mask, a shift — before the next load; at 1 % density (k = 6,
// ≈ 8 bits a code) that is seven codes a load, and the serial dependency from one code
// to the next is a few register operations, not a load (Giesen, "Reading bits in far
// too many ways", 2018). A code that fits no window (a run of ones past it), and every
// code in the last 8 bytes, takes the byte-at-a-time loop of the reference, which checks
// each byte against the end before reading it. The fast path reads only bytes that
// exist, so the only error it can meet is an index ≥ dim, as the reference would.

import { INDEX_OUT_OF_RANGE, NONZERO_PADDING, OK, TRAILING_BYTES, TRUNCATED } from "./errors";

/**
 * Decodes the section [start, end) with parameter k (2ᵏ ≤ dim, checked by the caller)
 * into n indices below dim, stored as u32 at out.
 */
export function readRiceIndices(start: usize, end: usize, dim: u32, k: u32, n: u32, out: usize): i32 {
  let consumed: u64 = 0; // bits of the section decoded so far
  let next: u64 = 0; // the smallest value the next index may take
  const mask: u64 = ((<u64>1) << k) - 1;
  const outEnd = out + ((<usize>n) << 2);
  while (out < outEnd) {
    let pos = start + <usize>(consumed >> 3);
    let bit = <u32>consumed & 7;
    if (pos + 8 <= end) {
      let w = load<u64>(pos) >> bit;
      let avail: u32 = 64 - bit;
      const first = out;
      do {
        const q = ctz(~w); // the ones before the first zero (≥ avail if the window has none)
        const used = <u32>q + 1 + k;
        if (used > avail) break;
        // mask is 0 when k is 0, so a shift by 64 (taken mod 64) does not matter; nor does
        // the shift of w by 64 below, as avail is then 0 and the next code breaks out.
        const index = next + (q << k) + ((w >> (q + 1)) & mask);
        if (index >= <u64>dim) return INDEX_OUT_OF_RANGE;
        store<u32>(out, <u32>index);
        out += 4;
        next = index + 1;
        w >>= used;
        avail -= used;
        consumed += used;
      } while (out < outEnd);
      if (out !== first) continue;
    }

    // The reference's loop for one code: the unary part a byte at a time, cut short once
    // it would reach dim, then the remainder.
    const maxQuotient = (<i64>dim - 1 - <i64>next) >> k;
    let q: i64 = 0;
    for (;;) {
      if (pos >= end) return TRUNCATED;
      const avail: u32 = 8 - bit;
      const ones = ctz(~(<u32>load<u8>(pos) >> bit)); // ≤ avail: the high bits of the shifted byte are 0
      q += ones;
      if (q > maxQuotient) return INDEX_OUT_OF_RANGE;
      if (ones < avail) {
        bit += ones + 1;
        break;
      }
      pos++;
      bit = 0;
    }
    if (bit === 8) {
      pos++;
      bit = 0;
    }
    let r: u64 = 0;
    for (let got: u32 = 0; got < k; ) {
      if (pos >= end) return TRUNCATED;
      const take = min(8 - bit, k - got);
      r |= (<u64>((<u32>load<u8>(pos) >> bit) & ((1 << take) - 1))) << got;
      got += take;
      bit += take;
      if (bit === 8) {
        pos++;
        bit = 0;
      }
    }
    const index = next + ((<u64>q) << k) + r;
    if (index >= <u64>dim) return INDEX_OUT_OF_RANGE;
    store<u32>(out, <u32>index);
    out += 4;
    next = index + 1;
    consumed = ((<u64>(pos - start)) << 3) + bit;
  }
  const pos = start + <usize>(consumed >> 3);
  const bit = <u32>consumed & 7;
  if (bit > 0 && <u32>load<u8>(pos) >> bit !== 0) return NONZERO_PADDING;
  return pos + usize(bit > 0) === end ? OK : TRAILING_BYTES;
}
