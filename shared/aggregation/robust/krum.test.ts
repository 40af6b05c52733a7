import { describe, expect, it } from "vitest";
import { krum } from "./krum";

const models = (...rows: number[][]) => rows.map((r) => Float32Array.from(r));
const ones = (n: number) => new Array<number>(n).fill(1);

describe("krum (Blanchard et al., NeurIPS 2017)", () => {
  it("matches Flower's Krum test vector, where a tie goes to the lower index (flwr/server/strategy/krum_test.py)", () => {
    // n = 3, f = 1 → k = max(1, 0) = 1. Squared distances: ‖0.2 − 0.7‖² = 4·0.25 = 1,
    // ‖0.7 − 1.0‖² = 4·0.09 = 0.36, ‖0.2 − 1.0‖² = 2.56. Scores 1, 0.36, 0.36: models 1 and 2 tie.
    const m = models([0.2, 0.2, 0.2, 0.2], [0.7, 0.7, 0.7, 0.7], [1.0, 1.0, 1.0, 1.0]);
    expect(Array.from(krum(m, [5, 5, 5], { f: 1 }))).toEqual(Array.from(m[1]!));
  });

  it("scores by the sum of squared distances to the k = n − f − 2 nearest others", () => {
    // n = 6, f = 0 → k = 4. Squared: 0 → 1+9+36+49 = 95, 1 → 1+4+25+36 = 66, 3 → 4+9+9+16 = 38,
    // 6 → 1+4+9+25 = 39, 7 → 1+1+16+36 = 54, 8 → 1+4+25+49 = 79: 3 wins. With plain distances
    // 6 would (1+2+3+5 = 11 against 3's 2+3+3+4 = 12).
    expect(Array.from(krum(models([0], [1], [3], [6], [7], [8]), ones(6), { f: 0 }))).toEqual([3]);
  });

  it("ignores an arbitrarily far model and breaks a score tie toward the lower index", () => {
    // n = 5, f = 1 → k = 2. Scores: 0 → 1+4 = 5, 1 → 1+1 = 2, 2 → 1+1 = 2, 3 → 1+4 = 5, 100 → 97²+98².
    expect(Array.from(krum(models([0], [1], [2], [3], [100]), ones(5), { f: 1 }))).toEqual([1]);
    expect(Array.from(krum(models([0], [2], [1], [3], [100]), ones(5), { f: 1 }))).toEqual([2]);
  });

  it("returns the chosen model's values unchanged, in a new array", () => {
    const m = models([0.1, -7.25], [0.1, -7.25], [3, 3]);
    const out = krum(m, ones(3), { f: 0 });
    expect(out).not.toBe(m[0]);
    expect(out).toEqual(m[0]);
  });

  it("refuses an f that is not a whole number ≥ 0", () => {
    expect(() => krum(models([1], [2], [3]), ones(3), { f: -1 })).toThrow(
      /krum: f must be an integer ≥ 0, got -1/,
    );
    expect(() => krum(models([1], [2], [3]), ones(3), { f: 0.5 })).toThrow(/f must be/);
  });
});
