/**
 * IEEE-754 binary16 ("half") conversion. JavaScript has no f16 type in the runtimes we
 * target (Math.f16round is ES2025), so this is done on the bits: f32 → f16 rounds to
 * nearest, ties to even, with subnormals; f16 → f32 is exact.
 *
 * Error bound of a round trip: |x̂ − x| ≤ 2⁻¹¹·|x| for 2⁻¹⁴ ≤ |x| ≤ 65504 (half an ulp of
 * 11 significant bits), ≤ 2⁻²⁵ below 2⁻¹⁴ (half the smallest subnormal).
 */

/** The largest finite binary16 value. */
export const F16_MAX = 65504;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits nearest to x (x is first rounded to f32). NaN stays NaN, overflow becomes ±∞. */
export function f16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const abs = b & 0x7fff_ffff;
  if (abs >= 0x7f80_0000) return sign | 0x7c00 | (abs > 0x7f80_0000 ? 0x200 : 0); // ±∞, NaN
  if (abs >= 0x477f_f000) return sign | 0x7c00; // ≥ 65520 rounds to ∞
  if (abs < 0x3880_0000) {
    // Below 2⁻¹⁴: a subnormal half, in units of 2⁻²⁴. |x|·2²⁴ is exact in f64.
    const units = Math.abs(f32[0]!) * 2 ** 24;
    const floor = Math.floor(units);
    const frac = units - floor;
    return sign | (frac > 0.5 || (frac === 0.5 && (floor & 1) === 1) ? floor + 1 : floor);
  }
  // Normal: rebias the exponent (127 → 15) and round 23 mantissa bits to 10; a carry
  // out of the mantissa correctly bumps the exponent.
  let h = (((abs >>> 23) - 112) << 10) | ((abs >>> 13) & 0x3ff);
  const rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
  return sign | h;
}

/** The value of binary16 bits h, exactly. */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (0x400 + mantissa) * 2 ** (exponent - 25);
}
