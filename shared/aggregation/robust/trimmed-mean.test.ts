import { describe, expect, it } from "vitest";
import { trimmedMean } from "./trimmed-mean";

const models = (...rows: number[][]) => rows.map((r) => Float32Array.from(r));
const ones = (n: number) => new Array<number>(n).fill(1);

describe("trimmedMean (Yin et al., ICML 2018, coordinate-wise trimmed mean)", () => {
  it("matches Flower's FedTrimmedAvg test vectors (flwr/serverapp/strategy/fedtrimmedavg_test.py)", () => {
    const out = trimmedMean(
      models([0.5, 0.5, 0.5, 0.5], [1.0, 0.2, 0.5, 1.0], [0.2, 0.5, 1.0, 0.2], [0.5, 1.0, 0.2, 0.5]),
      [1, 5, 2, 9],
      { beta: 0.25 },
    );
    expect(Array.from(out)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(trimmedMean(models([0.5], [1.0], [2.0], [100.0]), ones(4), { beta: 0.25 }))).toEqual([
      1.5,
    ]);
  });

  it("cuts ⌊β·n⌋ values from each tail per coordinate and averages the rest unweighted", () => {
    // n = 5, β = 0.2 → cut 1. Column 0: −1, 3, 4, 10, 100 → (3 + 4 + 10) / 3. Column 1: 0, 1, 2, 3, 4 → 2.
    const out = trimmedMean(models([10, 0], [-1, 4], [3, 1], [4, 3], [100, 2]), [9, 1, 1, 1, 1], {
      beta: 0.2,
    });
    expect(out[0]).toBeCloseTo(17 / 3, 5);
    expect(out[1]).toBe(2);
  });

  it("floors β·n: β = 0.3 with n = 5 cuts one value per tail, not 1.5", () => {
    expect(Array.from(trimmedMean(models([1], [2], [3], [4], [100]), ones(5), { beta: 0.3 }))).toEqual([3]);
  });

  it("is the plain mean for β = 0 and the median when β leaves one value", () => {
    expect(Array.from(trimmedMean(models([1], [2], [30]), ones(3), { beta: 0 }))).toEqual([11]);
    expect(Array.from(trimmedMean(models([1], [2], [30]), ones(3), { beta: 0.5 }))).toEqual([2]);
  });

  it("keeps equal values at the cut interchangeably (ties cannot change the result)", () => {
    // 1, 1, 1, 5 with one cut per tail keeps 1, 1.
    expect(Array.from(trimmedMean(models([1], [5], [1], [1]), ones(4), { beta: 0.25 }))).toEqual([1]);
  });

  it("refuses a β that leaves no value, naming beta", () => {
    expect(() => trimmedMean(models([1], [2], [3], [4]), ones(4), { beta: 0.5 })).toThrow(
      /trimmedMean: beta = 0.5 cuts 2 of n = 4 values from each tail, leaving none/,
    );
    expect(() => trimmedMean(models([1]), [1], { beta: 1 })).toThrow(RangeError);
  });

  it("refuses a negative or non-finite β", () => {
    expect(() => trimmedMean(models([1]), [1], { beta: -0.1 })).toThrow(/beta must be a finite number ≥ 0/);
    expect(() => trimmedMean(models([1]), [1], { beta: Number.NaN })).toThrow(/beta/);
  });
});
