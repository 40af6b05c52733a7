/**
 * Unbiased stochastic quantization with a scale per block, after QSGD (Alistarh et al.,
 * NeurIPS 2017), which quantizes in buckets, each with its own scale, so that one large
 * value does not coarsen the whole vector.
 *
 * The values to send are cut, in order, into blocks of B. A block's scale is its step
 * Δ = max|x| / L, rounded up to the next f32 if needed so that |x| / Δ ≤ L, where
 * L = 127 (8-bit) or 7 (4-bit). QSGD scales by the 2-norm; the max-norm used here keeps
 * every level within ±L with finer steps. Each x becomes the level
 *   q = ⌊x/Δ⌋ + 1 with probability x/Δ − ⌊x/Δ⌋, else ⌊x/Δ⌋,
 * an integer in [−L, L] with E[q] = x/Δ, and decodes to x̂ = f32(q · Δ). Hence:
 *   - unbiased: E[x̂] = x, up to the f32 rounding of q · Δ (≤ 2⁻²⁴·|x̂|);
 *   - error bound: |x̂ − x| < Δ·(1 + L·2⁻²⁴), one step, Δ ≈ max over the block of |x| / L;
 *   - variance: Var[x̂] ≤ Δ²/4.
 * A block of zeros has Δ = 0 and levels 0. Within about an ulp of the f32 maximum
 * (|x| ≳ 3.4e38) f32(L · Δ) would be ∞; encodeUpdate refuses such values.
 */

/** L: the largest level magnitude of each quantized value coding. */
export const QUANT_LEVELS = { q8: 127, q4: 7 } as const;

/** The value a level decodes to: one f32 multiplication, so every implementation agrees bit for bit. */
export function dequantize(level: number, scale: number): number {
  return Math.fround(level * scale);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The smallest f32 step Δ ≥ 0 with L·Δ ≥ max (max ≥ 0, finite). L·Δ is exact in f64. */
export function quantizationStep(max: number, levels: number): number {
  if (max === 0) return 0;
  f32[0] = max / levels;
  if (f32[0] * levels < max) u32[0] = u32[0]! + 1; // the next f32 up (positive, so one ulp more)
  return f32[0];
}

export interface Quantized {
  /** One step Δ per block of blockSize values. */
  scales: Float32Array;
  /** One level in [−L, L] per value. */
  levels: Int8Array;
}

/**
 * Quantizes values (finite) with L = levels, blocks of blockSize, and random() uniform in
 * [0, 1) deciding each rounding.
 */
export function quantize(
  values: Float32Array,
  levels: number,
  blockSize: number,
  random: () => number,
): Quantized {
  const n = values.length;
  const scales = new Float32Array(Math.ceil(n / blockSize));
  const out = new Int8Array(n);
  for (let b = 0; b < scales.length; b++) {
    const start = b * blockSize;
    const end = Math.min(n, start + blockSize);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]!));
    const step = quantizationStep(max, levels);
    scales[b] = step;
    if (step === 0) continue;
    for (let i = start; i < end; i++) {
      const y = values[i]! / step; // |y| ≤ L
      const floor = Math.floor(y);
      out[i] = random() < y - floor ? floor + 1 : floor;
    }
  }
  return { scales, levels: out };
}
