import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dequantize, QUANT_LEVELS, quantizationStep, quantize } from "./quantize";
import { SeededRandom } from "./random";

const LEVELS = [QUANT_LEVELS.q8, QUANT_LEVELS.q4];

function previousF32(x: number): number {
  const f = new Float32Array([x]);
  new Uint32Array(f.buffer)[0]! -= 1;
  return f[0]!;
}

describe("stochastic quantization", () => {
  it("uses the smallest f32 step Δ with L·Δ ≥ max|x|, so every level is within ±L", () => {
    fc.assert(
      fc.property(
        fc.float({ min: 0, noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(...LEVELS),
        (max, L) => {
          const step = quantizationStep(max, L);
          expect(step * L).toBeGreaterThanOrEqual(max);
          if (step > 0) expect(previousF32(step) * L).toBeLessThan(max);
        },
      ),
    );
  });

  it("stays within one step of its block: |x̂ − x| ≤ Δ·(1 + L·2⁻²⁴), levels in [−L, L]", () => {
    fc.assert(
      fc.property(
        // Within an ulp or so of the f32 maximum, L·Δ would round to ∞; encodeUpdate refuses such values.
        fc.float32Array({
          minLength: 1,
          maxLength: 200,
          min: Math.fround(-1e38),
          max: Math.fround(1e38),
          noNaN: true,
        }),
        fc.constantFrom(...LEVELS),
        fc.integer({ min: 1, max: 64 }),
        fc.nat(),
        (values, L, blockSize, seed) => {
          const { scales, levels } = quantize(values, L, blockSize, new SeededRandom(seed).next);
          for (let j = 0; j < values.length; j++) {
            const step = scales[Math.floor(j / blockSize)]!;
            expect(Math.abs(levels[j]!)).toBeLessThanOrEqual(L);
            const error = Math.abs(dequantize(levels[j]!, step) - values[j]!);
            expect(error).toBeLessThanOrEqual(step * (1 + L * 2 ** -24));
          }
        },
      ),
    );
  });

  it("is unbiased: the mean error over many draws is within 5 standard errors of 0", () => {
    // Prepare: one block whose values sit at every fraction of a step, where rounding to
    // nearest would be off by up to Δ/2.
    const L = QUANT_LEVELS.q4;
    const values = Float32Array.from({ length: 64 }, (_, i) => ((i - 31.5) / 32) * 0.7);
    const draws = 4000;
    const random = new SeededRandom(2017).next;
    const sums = new Float64Array(values.length);
    let step = 0;

    // Execute
    for (let t = 0; t < draws; t++) {
      const q = quantize(values, L, values.length, random);
      step = q.scales[0]!;
      for (let j = 0; j < values.length; j++) sums[j]! += dequantize(q.levels[j]!, step) - values[j]!;
    }

    // Assert: each error is a two-point variable within one step, so its variance is at
    // most Δ²/4 and the mean of n draws has standard error ≤ Δ / (2√n). 5 standard errors
    // per value: a false alarm has probability < 1e-6 each (and the seed is fixed).
    const tolerance = (5 * step) / (2 * Math.sqrt(draws)) + step * 2 ** -20;
    for (let j = 0; j < values.length; j++) {
      expect(Math.abs(sums[j]! / draws)).toBeLessThanOrEqual(tolerance);
    }
    const overall = sums.reduce((a, b) => a + b, 0) / (draws * values.length);
    expect(Math.abs(overall)).toBeLessThanOrEqual((5 * step) / (2 * Math.sqrt(draws * values.length)));
    // The test has power: rounding to nearest would miss by far more than the tolerance.
    const worstNearest = Math.max(...values.map((x) => Math.abs(Math.round(x / step) * step - x)));
    expect(worstNearest).toBeGreaterThan(5 * tolerance);
  });

  it("gives a block of zeros step 0 and levels 0", () => {
    const { scales, levels } = quantize(new Float32Array(5), 127, 4, Math.random);
    expect(Array.from(scales)).toEqual([0, 0]);
    expect(Array.from(levels)).toEqual([0, 0, 0, 0, 0]);
  });

  it("quantizes multiples of the step exactly, whatever the draws", () => {
    // max = 127/128, so Δ = 1/128 and x/Δ is an integer: no randomness is left.
    const values = Float32Array.of(127 / 128, -3 / 128, 0, 64 / 128);
    const { scales, levels } = quantize(values, 127, 8, () => 0.999);
    expect(Array.from(scales)).toEqual([1 / 128]);
    expect(Array.from(levels)).toEqual([127, -3, 0, 64]);
  });
});
