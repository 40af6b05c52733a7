import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { F16_MAX, f16Bits, f16Value } from "./f16";

const f16Round = (x: number): number => f16Value(f16Bits(x));

describe("binary16 conversion", () => {
  it("decodes every finite half exactly and encodes it back to the same bits", () => {
    const mismatches: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) !== 0x7c00 && f16Bits(f16Value(h)) !== h) mismatches.push(h); // ±∞, NaN: below
    }
    expect(mismatches).toEqual([]);
  });

  it("rounds every f32 to the nearest half, ties to even", () => {
    fc.assert(
      fc.property(fc.float({ min: -F16_MAX, max: F16_MAX, noNaN: true }), (x) => {
        const y = f16Round(x);
        // Neighbours of y among halves: no half is closer to x than y.
        const h = f16Bits(x);
        for (const n of [h - 1, h + 1]) {
          if ((n & 0x7fff) >= 0x7c00 || n < 0 || n > 0xffff || ((n ^ h) & 0x8000) !== 0) continue;
          const other = f16Value(n);
          expect(Math.abs(other - x)).toBeGreaterThanOrEqual(Math.abs(y - x));
          if (Math.abs(other - x) === Math.abs(y - x)) expect(h & 1).toBe(0);
        }
      }),
    );
  });

  it("stays within its documented bound: 2⁻¹¹·|x| for normal halves, 2⁻²⁵ below", () => {
    fc.assert(
      fc.property(fc.float({ min: -F16_MAX, max: F16_MAX, noNaN: true }), (x) => {
        const bound = Math.abs(x) >= 2 ** -14 ? 2 ** -11 * Math.abs(x) : 2 ** -25;
        expect(Math.abs(f16Round(x) - x)).toBeLessThanOrEqual(bound);
      }),
    );
  });

  it("handles the edges: signed zero, the smallest subnormal, the largest finite, overflow, NaN", () => {
    expect(f16Bits(-0)).toBe(0x8000);
    expect(f16Bits(2 ** -24)).toBe(0x0001);
    expect(f16Bits(2 ** -25)).toBe(0x0000); // a tie, to even (zero)
    expect(f16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f16Bits(65504)).toBe(0x7bff);
    expect(f16Bits(65519.99)).toBe(0x7bff);
    expect(f16Bits(65520)).toBe(0x7c00); // a tie between 65504 and 2¹⁶, to even: ∞
    expect(f16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(Number.isNaN(f16Value(f16Bits(Number.NaN)))).toBe(true);
    expect(f16Value(0x3c00)).toBe(1);
    expect(f16Value(0xc000)).toBe(-2);
  });
});
