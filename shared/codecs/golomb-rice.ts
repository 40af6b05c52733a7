/**
 * Golomb-Rice codes (Golomb 1966, Rice 1979) for the gaps between increasing indices.
 *
 * Gaps: g₀ = i₀ and gⱼ = iⱼ − iⱼ₋₁ − 1, so every gap is ≥ 0 and indices that do not
 * increase cannot be written at all. The code of g with parameter k is q = ⌊g / 2ᵏ⌋
 * one-bits, a zero-bit, then the k low bits of g, least significant first. Bits are
 * packed least significant first within each byte, as in DEFLATE (RFC 1951 §3.1.1): bit n
 * of the section is (byte[⌊n/8⌋] >> (n mod 8)) & 1. Unused bits of the last byte are 0.
 *
 * When the indices are spread at random with density p the gaps are geometric and the
 * best k is about log₂(ln 2 / p) (Gallager & van Voorhis 1975), costing within ~0.03 bit
 * of the entropy: ≈ 8.1 bits per index at p = 1%, against 8+ for a byte-aligned varint
 * and 100 for a bitmap. The encoder does not rely on that estimate: it finds the allowed k
 * (2ᵏ ≤ dim, so k ≤ 26) of least exact cost, which also suits clustered indices.
 */
import { codecError } from "./codec-error";

/** The largest allowed k for dim: 2ᵏ ≤ dim. A larger k would only add a zero bit to every code. */
export function maxRiceParameter(dim: number): number {
  return 31 - Math.clz32(dim);
}

/** Exact size in bits of the index section for parameter k. */
export function riceBits(indices: Uint32Array, k: number): number {
  let bits = indices.length * (k + 1);
  let next = 0;
  for (const i of indices) {
    bits += (i - next) >>> k;
    next = i + 1;
  }
  return bits;
}

/** The allowed k with the fewest bits (the smallest such k on a tie), and that size. */
export function bestRiceParameter(indices: Uint32Array, dim: number): { k: number; bits: number } {
  // The size is convex in k: each gap g costs ⌊g/2ᵏ⌋ + 1 + k, whose decrease from k to k + 1,
  // ⌈⌊g/2ᵏ⌋/2⌉ − 1, shrinks as k grows. So a walk from any start finds the smallest best k
  // in a few passes over the indices instead of one per allowed k: down while it does not
  // cost more, else up while it costs less. It starts at log₂ of the mean gap.
  const maxK = maxRiceParameter(dim);
  const n = indices.length;
  const meanGap = n === 0 ? 0 : ((indices[n - 1] as number) + 1 - n) / n;
  let k = Math.min(maxK, Math.max(0, Math.floor(Math.log2(meanGap + 1))));
  let bits = riceBits(indices, k);
  let moved = false;
  while (k > 0) {
    const lower = riceBits(indices, k - 1);
    if (lower > bits) break;
    k -= 1;
    bits = lower;
    moved = true;
  }
  while (!moved && k < maxK) {
    const higher = riceBits(indices, k + 1);
    if (higher >= bits) break;
    k += 1;
    bits = higher;
  }
  return { k, bits };
}

/** Writes the codes at out[offset…]; out must be zero over the section. */
export function writeRice(out: Uint8Array, offset: number, indices: Uint32Array, k: number): void {
  let pos = offset * 8;
  const set = (): void => {
    const at = pos >>> 3;
    out[at] = out[at]! | (1 << (pos & 7));
  };
  let next = 0;
  for (const i of indices) {
    const gap = i - next;
    next = i + 1;
    for (let q = gap >>> k; q > 0; q--, pos++) set();
    pos++; // the terminating zero
    for (let t = 0; t < k; t++, pos++) if ((gap >>> t) & 1) set();
  }
}

/**
 * Reads out.length indices from the section bytes[start, end) with parameter k (the
 * caller has checked k and that the section lies within the payload). Every byte read is
 * checked against end first, and a run of ones is cut short as soon as it would reach dim.
 */
export function readRice(
  bytes: Uint8Array,
  start: number,
  end: number,
  dim: number,
  k: number,
  out: Uint32Array,
): void {
  let pos = start; // byte
  let bit = 0; // next bit within bytes[pos]
  let next = 0; // smallest value the next index may take
  for (let j = 0; j < out.length; j++) {
    // Unary part: count ones up to the first zero, a byte at a time.
    const maxQuotient = Math.floor((dim - 1 - next) / 2 ** k);
    let q = 0;
    for (;;) {
      if (pos >= end) codecError("truncated", `the Golomb-Rice code of index ${j} runs past the section`);
      const avail = 8 - bit;
      const rest = bytes[pos]! >>> bit;
      const ones = 31 - Math.clz32(~rest & (rest + 1)); // trailing ones of rest (≤ avail: its high bits are 0)
      q += ones;
      if (q > maxQuotient) {
        codecError("index_out_of_range", `index ${j}'s Golomb-Rice quotient exceeds dim ${dim}`);
      }
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
    // Remainder: k bits, least significant first.
    let r = 0;
    for (let got = 0; got < k; ) {
      if (pos >= end) codecError("truncated", `the Golomb-Rice code of index ${j} runs past the section`);
      const take = Math.min(8 - bit, k - got);
      r |= ((bytes[pos]! >>> bit) & ((1 << take) - 1)) << got;
      got += take;
      bit += take;
      if (bit === 8) {
        pos++;
        bit = 0;
      }
    }
    const index = next + q * 2 ** k + r;
    if (index >= dim) codecError("index_out_of_range", `index ${j} is ${index}, but dim is ${dim}`);
    out[j] = index;
    next = index + 1;
  }
  if (bit > 0) {
    if (bytes[pos]! >>> bit !== 0)
      codecError("nonzero_padding", "the last Golomb-Rice byte has nonzero padding");
    pos++;
  }
  if (pos !== end) codecError("trailing_bytes", `${end - pos} bytes follow the last Golomb-Rice code`);
}
