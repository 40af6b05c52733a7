/**
 * The value section: the carried values, in index order. The whole payload of a dense
 * codec; in a sparse payload it follows the 8-byte header.
 *   f32: 4 bytes per value, IEEE-754 binary32.   f16: 2 bytes per value, binary16.
 *   q8 / q4: ⌈n / B⌉ f32 block scales, then one level per value, two's complement, 8 bits
 *   each (q8) or 4 bits each (q4: value j in the low nibble of byte ⌊j/2⌋ when j is even,
 *   the high nibble when odd; an unused last high nibble is 0). Value j has the scale of
 *   block ⌊j / B⌋ and decodes to f32(level × scale).
 * Every number is little-endian.
 */
import { codecError } from "./codec-error";
import { F16_MAX, f16Bits, f16Value } from "./f16";
import type { ValueCoding } from "./ids";
import { scaleCount, valueSectionBytes } from "./layout";
import { dequantize, QUANT_LEVELS, quantize } from "./quantize";

export interface EncodedValues {
  bytes: Uint8Array;
  /** What a decoder will read back: the values after rounding or quantization. */
  decoded: Float32Array;
}

/**
 * Codes values (finite) as a section. f16 values beyond ±65504 are sent as ±65504 (error
 * feedback carries the rest); q8 / q4 round stochastically with random (quantize.ts).
 */
export function encodeValueSection(
  values: Float32Array,
  coding: ValueCoding,
  blockSize: number,
  random: () => number,
): EncodedValues {
  const n = values.length;
  const bytes = new Uint8Array(valueSectionBytes(coding, n, blockSize));
  const view = new DataView(bytes.buffer);
  const decoded = new Float32Array(n);
  if (coding === "f32") {
    for (let j = 0; j < n; j++) view.setFloat32(4 * j, values[j]!, true);
    decoded.set(values);
  } else if (coding === "f16") {
    for (let j = 0; j < n; j++) {
      const h = f16Bits(Math.max(-F16_MAX, Math.min(F16_MAX, values[j]!)));
      view.setUint16(2 * j, h, true);
      decoded[j] = f16Value(h);
    }
  } else {
    const q = quantize(values, QUANT_LEVELS[coding], blockSize, random);
    for (let b = 0; b < q.scales.length; b++) view.setFloat32(4 * b, q.scales[b]!, true);
    const base = 4 * q.scales.length;
    for (let j = 0; j < n; j++) {
      const level = q.levels[j]!;
      decoded[j] = dequantize(level, q.scales[Math.floor(j / blockSize)]!);
      if (!Number.isFinite(decoded[j]!)) throw new RangeError(`value ${values[j]} is too large to quantize`);
      if (coding === "q8") bytes[base + j] = level & 0xff;
      else bytes[base + (j >>> 1)] = bytes[base + (j >>> 1)]! | ((level & 0x0f) << (4 * (j & 1)));
    }
  }
  return { bytes, decoded };
}

/**
 * Reads n values coded as coding from view at offset (the caller has checked the section
 * lies within the payload). Checks scales, levels and padding; finiteness is the caller's.
 */
export function readValueSection(
  view: DataView,
  offset: number,
  coding: ValueCoding,
  n: number,
  blockSize: number,
): Float32Array {
  const out = new Float32Array(n);
  if (coding === "f32") {
    for (let j = 0; j < n; j++) out[j] = view.getFloat32(offset + 4 * j, true);
    return out;
  }
  if (coding === "f16") {
    for (let j = 0; j < n; j++) out[j] = f16Value(view.getUint16(offset + 2 * j, true));
    return out;
  }
  const levels = QUANT_LEVELS[coding];
  const scales = new Float32Array(scaleCount(n, blockSize));
  for (let b = 0; b < scales.length; b++) {
    const bits = view.getUint32(offset + 4 * b, true);
    scales[b] = view.getFloat32(offset + 4 * b, true);
    // Sign bit set (negative, −0) or exponent all ones (±∞, NaN).
    if (bits >>> 31 !== 0 || (bits & 0x7f80_0000) === 0x7f80_0000) {
      codecError(
        "bad_scale",
        `block ${b} has scale ${scales[b]} (0x${bits.toString(16)}); scales are finite and ≥ +0`,
      );
    }
  }
  const base = offset + 4 * scales.length;
  for (let j = 0; j < n; j++) {
    let level: number;
    if (coding === "q8") {
      level = view.getInt8(base + j);
    } else {
      const byte = view.getUint8(base + (j >>> 1));
      const nibble = j & 1 ? byte >>> 4 : byte & 0x0f;
      level = nibble >= 8 ? nibble - 16 : nibble;
    }
    if (level < -levels) codecError("level_out_of_range", `value ${j} has level ${level}, below −${levels}`);
    out[j] = dequantize(level, scales[Math.floor(j / blockSize)]!);
  }
  if (coding === "q4" && n % 2 === 1 && view.getUint8(base + (n >>> 1)) >>> 4 !== 0) {
    codecError("nonzero_padding", "the unused high nibble after the last 4-bit level is not 0");
  }
  return out;
}
