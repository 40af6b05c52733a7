import { describe, expect, it } from "vitest";
import { krum } from "./krum";
import { multiKrum } from "./multi-krum";

const models = (...rows: number[][]) => rows.map((r) => Float32Array.from(r));
const ones = (n: number) => new Array<number>(n).fill(1);

describe("multiKrum (Blanchard et al., NeurIPS 2017, §5)", () => {
  it("matches Flower's Multi-Krum test vector (flwr/server/strategy/multikrum_test.py)", () => {
    // k = 1. Squared distances: 0.2–0.5: 0.36, 0.5–1.0: 1, 0.2–1.0: 2.56. Scores 0.36, 0.36, 1:
    // models 0 and 1 are kept, averaged with equal weights.
    const out = multiKrum(models([0.2, 0.2, 0.2, 0.2], [0.5, 0.5, 0.5, 0.5], [1, 1, 1, 1]), [5, 5, 5], {
      f: 1,
      m: 2,
    });
    for (const v of out) expect(v).toBeCloseTo(0.35, 6);
  });

  it("averages the kept models by sample weight", () => {
    // Same selection; (0.2·1 + 0.5·3) / 4 = 0.425.
    const out = multiKrum(models([0.2], [0.5], [1.0]), [1, 3, 5], { f: 1, m: 2 });
    expect(out[0]).toBeCloseTo(0.425, 6);
  });

  it("breaks a tie at the m-th place toward the lower index", () => {
    // Scores 5, 2, 2, 5, 19013 (see krum.test.ts): m = 3 keeps 1 and 2, then 0 over 3.
    expect(Array.from(multiKrum(models([0], [1], [2], [3], [100]), ones(5), { f: 1, m: 3 }))).toEqual([1]);
  });

  it("is Krum for m = 1 and the weighted mean for m = n", () => {
    const m = models([0, 1], [1, 3], [2, 2], [3, -4], [100, 7]);
    expect(multiKrum(m, ones(5), { f: 1, m: 1 })).toEqual(krum(m, ones(5), { f: 1 }));
    const all = multiKrum(m, [1, 1, 1, 1, 4], { f: 1, m: 5 });
    expect(all[0]).toBeCloseTo((0 + 1 + 2 + 3 + 400) / 8, 5);
    expect(all[1]).toBeCloseTo((1 + 3 + 2 - 4 + 28) / 8, 5);
  });

  it("refuses an m outside 1…n, naming m", () => {
    expect(() => multiKrum(models([1], [2], [3]), ones(3), { f: 0, m: 4 })).toThrow(
      /multiKrum needs an integer m with 1 ≤ m ≤ n: n = 3, m = 4/,
    );
    expect(() => multiKrum(models([1], [2], [3]), ones(3), { f: 0, m: 0 })).toThrow(/m = 0/);
    expect(() => multiKrum(models([1], [2], [3]), ones(3), { f: 0, m: 1.5 })).toThrow(/m = 1.5/);
  });

  it("refuses a selection whose weights sum to zero", () => {
    expect(() => multiKrum(models([0], [1], [50]), [0, 0, 1], { f: 0, m: 2 })).toThrow(/weights sum to 0/);
  });
});
