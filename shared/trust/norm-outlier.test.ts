import { describe, expect, it } from "vitest";
import { modifiedZScore, normOutlier } from "./norm-outlier";

describe("modifiedZScore (Iglewicz & Hoaglin 1993)", () => {
  it("is 0.6745 (x − median) / MAD", () => {
    // Sample 1, 2, 3, 4, 100: median 3; deviations 2, 1, 0, 1, 97 → MAD 1.
    expect(modifiedZScore(8, [1, 2, 3, 4, 100])).toBeCloseTo(0.6745 * 5, 10);
    expect(modifiedZScore(-2, [1, 2, 3, 4, 100])).toBeCloseTo(-0.6745 * 5, 10);
  });

  it("falls back to √(π/2) × the mean absolute deviation when MAD is 0", () => {
    // Sample 5, 5, 5, 9: median 5; deviations 0, 0, 0, 4 → MAD 0, mean AD 1.
    expect(modifiedZScore(7, [5, 5, 5, 9])).toBeCloseTo(2 / Math.sqrt(Math.PI / 2), 10);
  });

  it("is 0 for the common value and infinite for any other when the sample has no spread", () => {
    expect(modifiedZScore(5, [5, 5, 5])).toBe(0);
    expect(modifiedZScore(5.1, [5, 5, 5])).toBe(Number.POSITIVE_INFINITY);
    expect(modifiedZScore(4.9, [5, 5, 5])).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe("normOutlier", () => {
  const recent = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 0.8, 1.0];

  it("flags an update scaled ×10 (true positive)", () => {
    const v = normOutlier(10, recent);
    expect(v).toMatchObject({ kind: "norm-outlier", suspicious: true });
    expect(v.score).toBeGreaterThan(3.5);
    expect(v.reason).toMatch(/above the median 1/);
  });

  it("flags a norm far below its peers (a near-zero update)", () => {
    expect(normOutlier(0.01, recent)).toMatchObject({
      suspicious: true,
      reason: expect.stringMatching(/below/),
    });
  });

  it("passes a norm among its peers (true negative)", () => {
    const v = normOutlier(1.15, recent);
    expect(v.suspicious).toBe(false);
    expect(v.score).toBeLessThan(3.5);
  });

  it("is not fooled by earlier outliers in the recent norms", () => {
    // Two earlier ×10 updates barely move the median and MAD.
    expect(normOutlier(10, [...recent, 10, 11]).suspicious).toBe(true);
    expect(normOutlier(1.1, [...recent, 10, 11]).suspicious).toBe(false);
  });

  it("judges nothing until minHistory norms are known", () => {
    expect(normOutlier(1000, [1, 1], { minHistory: 3 })).toMatchObject({ suspicious: false, score: 0 });
  });

  it("honours a custom threshold", () => {
    const score = normOutlier(1.3, recent).score;
    expect(normOutlier(1.3, recent, { threshold: score - 0.01 }).suspicious).toBe(true);
    expect(normOutlier(1.3, recent, { threshold: score }).suspicious).toBe(false);
  });
});

describe("normOutlier with a relative floor", () => {
  it("does not flag a norm within minRelativeDeviation of the median, however tight the recent norms", () => {
    const tight = [5, 5.01, 4.99, 5.02, 4.98, 5];
    expect(normOutlier(5.6, tight).suspicious).toBe(true);
    expect(normOutlier(5.6, tight, { minRelativeDeviation: 0.5 }).suspicious).toBe(false);
    expect(normOutlier(50, tight, { minRelativeDeviation: 0.5 }).suspicious).toBe(true);
  });
});
