// Value codings to f32, SIMD: count values of a section into out, each exactly what
// shared/codecs/value-section.ts decodes — f16Value(h) for binary16, f32(level × scale)
// (one f32 multiplication) for 8-/4-bit levels. Vector loads never reach past the
// section: the last few values of a run are done one at a time. The kernels decode a
// chunk at a time into a 1 KiB static buffer that stays in L1.

export const CHUNK: u32 = 256; // values; a multiple of the 32 a q4 vector step decodes
export const chunk = memory.data(CHUNK << 2, 16);

// Binary16 → binary32 without arithmetic on subnormal floats: a normal half is rebiased
// on its bits (exponent 15 → 127), a subnormal one is its mantissa × 2⁻²⁴, a product of
// normal floats that is exact (mantissa < 2¹⁰). Callers have rejected halves with
// exponent 31 (±∞, NaN).
const REBIAS: u32 = (127 - 15) << 23;
const SUBNORMAL_UNIT: f32 = 5.9604644775390625e-8; // 2⁻²⁴

function halfToFloat(h: u32): f32 {
  const magnitude = h & 0x7fff;
  const sign = (h & 0x8000) << 16;
  const normal = reinterpret<f32>(((magnitude << 13) + REBIAS) | sign);
  const subnormal = reinterpret<f32>(reinterpret<u32>(<f32>magnitude * SUBNORMAL_UNIT) | sign);
  return magnitude < 0x400 ? subnormal : normal;
}

/** Four halves (the low 16 bits of each i32 lane) as four floats, lane for lane as halfToFloat. */
function halvesToFloats(h: v128): v128 {
  const magnitude = v128.and(h, i32x4.splat(0x7fff));
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const normal = i32x4.add(i32x4.shl(magnitude, 13), i32x4.splat(REBIAS));
  const subnormal = f32x4.mul(f32x4.convert_i32x4_s(magnitude), f32x4.splat(SUBNORMAL_UNIT));
  const isSubnormal = i32x4.lt_s(magnitude, i32x4.splat(0x400));
  return v128.or(v128.bitselect(subnormal, normal, isSubnormal), sign);
}

/** Binary16 values j … j + count − 1 of the section at halves. */
export function halvesToF32(halves: usize, j: u32, count: u32, out: usize): void {
  let p = halves + ((<usize>j) << 1);
  const end = out + ((<usize>count) << 2);
  const end8 = out + ((<usize>(count & ~7)) << 2);
  for (; out < end8; out += 32, p += 16) {
    const h = v128.load(p);
    v128.store(out, halvesToFloats(i32x4.extend_low_i16x8_u(h)));
    v128.store(out, halvesToFloats(i32x4.extend_high_i16x8_u(h)), 16);
  }
  for (; out < end; out += 4, p += 2) store<f32>(out, halfToFloat(<u32>load<u16>(p)));
}

/** Sixteen signed 8-bit levels as sixteen f32 values × scale, at out. */
function storeLevels(levels: v128, scale: v128, out: usize): void {
  const low = i16x8.extend_low_i8x16_s(levels);
  const high = i16x8.extend_high_i8x16_s(levels);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(low)), scale));
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(low)), scale), 16);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(high)), scale), 32);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(high)), scale), 48);
}

/** 8-bit levels j … j + count − 1 of the section at levels, all in one block of this scale. */
export function q8ToF32(levels: usize, j: u32, count: u32, scale: f32, out: usize): void {
  let p = levels + j;
  const s = f32x4.splat(scale);
  const end = out + ((<usize>count) << 2);
  const end16 = out + ((<usize>(count & ~15)) << 2);
  for (; out < end16; out += 64, p += 16) storeLevels(v128.load(p), s, out);
  for (; out < end; out += 4, p++) store<f32>(out, <f32>load<i8>(p) * scale);
}

/** 4-bit level j: the low nibble of byte ⌊j/2⌋ for even j, the high one for odd j, sign-extended. */
function q4Level(levels: usize, j: u32): f32 {
  return <f32>(((<i32>load<u8>(levels + (j >> 1)) >> ((j & 1) << 2)) << 28) >> 28);
}

/** 4-bit levels j … j + count − 1 of the section at levels, all in one block of this scale. */
export function q4ToF32(levels: usize, j: u32, count: u32, scale: f32, out: usize): void {
  const last = j + count;
  if (j & 1 && j < last) {
    store<f32>(out, q4Level(levels, j) * scale);
    out += 4;
    j++;
  }
  // From an even j, 16 bytes hold 32 levels, low nibble first.
  const s = f32x4.splat(scale);
  for (; j + 32 <= last; j += 32, out += 128) {
    const bytes = v128.load(levels + (j >> 1));
    const low = i8x16.shr_s(i8x16.shl(bytes, 4), 4);
    const high = i8x16.shr_s(bytes, 4);
    storeLevels(i8x16.shuffle(low, high, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), s, out);
    storeLevels(
      i8x16.shuffle(low, high, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31),
      s,
      out + 64,
    );
  }
  for (; j < last; j++, out += 4) store<f32>(out, q4Level(levels, j) * scale);
}
