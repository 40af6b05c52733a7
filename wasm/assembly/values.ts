// Validation of a value section (docs/codecs.md#value-section) before anything is
// added: the checks of shared/codecs/value-section.ts and decoder.ts, in their order —
// every block scale (bad_scale), then every level (level_out_of_range), then the q4
// padding nibble (nonzero_padding), then every value finite (non_finite_value). The
// scans are SIMD over 16 bytes at a time: they only need to know whether a value fails.

import { BAD_SCALE, LEVEL_OUT_OF_RANGE, NON_FINITE_VALUE, NONZERO_PADDING, OK } from "./errors";
import { ceilDiv, DENSE_F16, DENSE_F32, SPARSE_F16, SPARSE_F32, SPARSE_Q8 } from "./layout";

/** Whether any of n binary32 values at p has exponent bits all ones (±∞, NaN). */
function anyNonFiniteF32(p: usize, n: u32): bool {
  const exponent = i32x4.splat(0x7f800000);
  let bad = i32x4.splat(0);
  const end = p + ((<usize>n) << 2);
  const end16 = p + ((<usize>(n & ~15)) << 2);
  while (p < end16) {
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(p), exponent), exponent));
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(p, 16), exponent), exponent));
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(p, 32), exponent), exponent));
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(p, 48), exponent), exponent));
    p += 64;
  }
  let tail = false;
  for (; p < end; p += 4) tail |= (load<u32>(p) & 0x7f800000) === 0x7f800000;
  return tail || v128.any_true(bad);
}

/** Whether any of n binary16 values at p has exponent bits all ones (±∞, NaN). */
function anyNonFiniteF16(p: usize, n: u32): bool {
  const exponent = i16x8.splat(0x7c00);
  let bad = i16x8.splat(0);
  const end = p + ((<usize>n) << 1);
  const end32 = p + ((<usize>(n & ~31)) << 1);
  while (p < end32) {
    bad = v128.or(bad, i16x8.eq(v128.and(v128.load(p), exponent), exponent));
    bad = v128.or(bad, i16x8.eq(v128.and(v128.load(p, 16), exponent), exponent));
    bad = v128.or(bad, i16x8.eq(v128.and(v128.load(p, 32), exponent), exponent));
    bad = v128.or(bad, i16x8.eq(v128.and(v128.load(p, 48), exponent), exponent));
    p += 64;
  }
  let tail = false;
  for (; p < end; p += 2) tail |= (<u32>load<u16>(p) & 0x7c00) === 0x7c00;
  return tail || v128.any_true(bad);
}

/** Whether any of the n bytes at p is 0x80, the q8 level −128. */
function anyByte80(p: usize, n: u32): bool {
  const level = i8x16.splat(-128);
  let bad = i8x16.splat(0);
  const end = p + n;
  const end16 = p + (n & ~15);
  for (; p < end16; p += 16) bad = v128.or(bad, i8x16.eq(v128.load(p), level));
  let tail = false;
  for (; p < end; p++) tail |= load<u8>(p) === 0x80;
  return tail || v128.any_true(bad);
}

/** Whether any of n 4-bit levels at p (two per byte, low nibble first) is 0x8, the level −8. */
function anyNibble8(p: usize, n: u32): bool {
  const full = n >> 1; // bytes holding two levels
  const low = i8x16.splat(0x0f);
  const high = i8x16.splat(-16); // 0xf0
  let bad = i8x16.splat(0);
  const end = p + full;
  const end16 = p + (full & ~15);
  for (; p < end16; p += 16) {
    const x = v128.load(p);
    bad = v128.or(bad, i8x16.eq(v128.and(x, low), i8x16.splat(0x08)));
    bad = v128.or(bad, i8x16.eq(v128.and(x, high), i8x16.splat(-128)));
  }
  let tail = false;
  for (; p < end; p++) {
    const b = <u32>load<u8>(p);
    tail |= (b & 0x0f) === 0x08 || (b & 0xf0) === 0x80;
  }
  if (n & 1) tail |= (<u32>load<u8>(p) & 0x0f) === 0x08; // the last level, alone in its byte
  return tail || v128.any_true(bad);
}

/**
 * Whether any level of a block decodes to ±∞: f32(level × scale) grows with |level|, so
 * only a block whose f32(L × scale) overflows needs its levels looked at.
 */
function anyOverflow(scales: usize, levels: usize, n: u32, b: u32, q8: bool): bool {
  const largest: f32 = q8 ? 127 : 7;
  const blocks = <u32>ceilDiv(n, b);
  for (let block: u32 = 0; block < blocks; block++) {
    const scale = load<f32>(scales + ((<usize>block) << 2));
    if (Number.isFinite(largest * scale)) continue;
    const end = min(n, (block + 1) * b);
    for (let j = block * b; j < end; j++) {
      let level: i32;
      if (q8) level = <i32>load<i8>(levels + j);
      else level = ((<i32>load<u8>(levels + (j >> 1)) >> ((j & 1) << 2)) << 28) >> 28;
      if (!Number.isFinite(<f32>level * scale)) return true;
    }
  }
  return false;
}

/**
 * Checks the n values of a section of codec at p (a dense payload, or a sparse one's
 * value section) with block size b; returns OK or the first error's code.
 */
export function checkValueSection(codec: u32, p: usize, n: u32, b: u32): i32 {
  if (codec === DENSE_F32 || codec === SPARSE_F32) return anyNonFiniteF32(p, n) ? NON_FINITE_VALUE : OK;
  if (codec === DENSE_F16 || codec === SPARSE_F16) return anyNonFiniteF16(p, n) ? NON_FINITE_VALUE : OK;
  const q8 = codec === SPARSE_Q8;
  const blocks = <u32>ceilDiv(n, b);
  for (let block: u32 = 0; block < blocks; block++) {
    // Sign bit set (negative, −0) or exponent all ones (±∞, NaN).
    const bits = load<u32>(p + ((<usize>block) << 2));
    if (bits >> 31 !== 0 || (bits & 0x7f800000) === 0x7f800000) return BAD_SCALE;
  }
  const levels = p + ((<usize>blocks) << 2);
  if (q8 ? anyByte80(levels, n) : anyNibble8(levels, n)) return LEVEL_OUT_OF_RANGE;
  if (!q8 && n & 1 && <u32>load<u8>(levels + (n >> 1)) >> 4 !== 0) return NONZERO_PADDING;
  return anyOverflow(p, levels, n, b, q8) ? NON_FINITE_VALUE : OK;
}
