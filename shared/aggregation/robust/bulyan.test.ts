import { describe, expect, it } from "vitest";
import { bulyan, meanOfClosest } from "./bulyan";

const models = (...rows: number[][]) => rows.map((r) => Float32Array.from(r));
const ones = (n: number) => new Array<number>(n).fill(1);

function expectClose(actual: Float32Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 6);
}

describe("bulyan (El Mhamdi et al., ICML 2018)", () => {
  it("matches Flower's Bulyan test vector: with f = 0 it averages everything (flwr/server/strategy/bulyan_test.py)", () => {
    const values = [0.2, 0.5, 0.7, 12.0, 0.1, 0.1];
    const out = bulyan(
      values.map((v) => new Float32Array(4).fill(v)),
      ones(6),
      { f: 0 },
    );
    for (const v of out) expect(v).toBeCloseTo((0.2 + 0.5 + 0.7 + 12.0 + 0.1 + 0.1) / 6, 6);
  });

  it("selects θ = n − 2f models by repeated Krum, then averages the β = θ − 2f values closest to their median", () => {
    // n = 7, f = 1: θ = 5, β = 3. Krum over what remains (k = max(1, |remaining| − 3)):
    //   k = 4: scores 0:138, 2:78, 3:63, 5:63, 10:238, ±100 huge → 3 (tie with 5, lower index)
    //   k = 3: 0:129, 2:77, 5:59, 10:189 → 5
    //   k = 2: 0:104, 2:68, 10:164 → 2
    //   k = 1: 0:100, 10:100 → 0 (tie, lower index)
    //   k = 1: 10:90², 100:90², −100:110² → 10 (tie, lower index)
    // Selected 0, 2, 3, 5, 10: median 3; the three closest are 3, 2, 5 → 10/3.
    const out = bulyan(models([0], [2], [3], [5], [10], [100], [-100]), ones(7), { f: 1 });
    expect(out[0]).toBeCloseTo(10 / 3, 5);
  });

  it("decides per coordinate after selecting whole models", () => {
    // Mirroring a coordinate doubles every squared distance, so the selection is the same.
    const out = bulyan(
      models([0, 0], [2, -2], [3, -3], [5, -5], [10, -10], [100, -100], [-100, 100]),
      ones(7),
      {
        f: 1,
      },
    );
    expect(out[0]).toBeCloseTo(10 / 3, 5);
    expect(out[1]).toBeCloseTo(-10 / 3, 5);
  });

  it("depends on the input order only through the tie rule: with k = 1 the closest remaining pair always ties", () => {
    // n = 7, f = 1. Krum rounds pick 2, then 1 (ties 3), then 3, then 10 (k = 1: ties 11), and last,
    // from 0, 4, 11 with k = 1, whichever of 0 and 4 (both 4² from each other) comes first.
    // Selected 0, 1, 2, 3, 10 → median 2 → mean of 2, 1, 3 = 2; selected 1, 2, 3, 4, 10 → 3.
    expect(Array.from(bulyan(models([0], [1], [2], [3], [4], [10], [11]), ones(7), { f: 1 }))).toEqual([2]);
    expect(Array.from(bulyan(models([4], [1], [2], [3], [0], [10], [11]), ones(7), { f: 1 }))).toEqual([3]);
  });

  it("ignores the sample weights, as Flower does", () => {
    const m = models([0], [2], [3], [5], [10], [100], [-100]);
    expect(bulyan(m, [1, 1, 1, 1, 1, 1000, 1000], { f: 1 })).toEqual(bulyan(m, ones(7), { f: 1 }));
  });

  it("refuses fewer than 4f + 3 models, naming n and f", () => {
    expect(() => bulyan(models([1], [2], [3], [4], [5], [6]), ones(6), { f: 1 })).toThrow(
      "bulyan needs n ≥ 4f + 3: n = 6, f = 1",
    );
    expect(() => bulyan(models([1], [2], [3]), ones(3), { f: -1 })).toThrow(/bulyan: f must be an integer/);
  });
});

describe("meanOfClosest (Bulyan's second step)", () => {
  // Vectors from flwr/serverapp/strategy/bulyan_test.py (aggregate_n_closest_weights), layers flattened.
  it("matches Flower's aggregate_n_closest_weights test vectors", () => {
    expect(meanOfClosest([1], models([1], [2], [0.5]), 2)[0]).toBeCloseTo(0.75, 6);
    const layered = meanOfClosest(
      [1, 2, 0, 1],
      models([1.1, 2.1, 0.2, 1.2], [0.9, 1.9, -0.1, 0.8], [5, 5, 10, 10]),
      2,
    );
    expectClose(layered, [1, 2, 0.05, 1]);
    expect(meanOfClosest([0], models([1], [-0.5], [10]), 1)[0]).toBe(-0.5);
    const all = meanOfClosest([0, 0], models([1, 2], [-1, 0], [3, 4]), 3);
    expect(Array.from(all)).toEqual([1, 2]);
    expect(Array.from(meanOfClosest([42, -1], models([5, 5], [5, 5], [5, 5]), 2))).toEqual([5, 5]);
    expect(() => meanOfClosest([1], models([1], [2]), 3)).toThrow(/beta/);
  });

  it("takes equally close values in model order (the tie rule)", () => {
    expect(Array.from(meanOfClosest([0], models([-1], [1], [5]), 1))).toEqual([-1]);
    expect(Array.from(meanOfClosest([0], models([1], [-1], [5]), 1))).toEqual([1]);
  });

  it("breaks the float32 tie in Flower's legacy vector by model order (flwr/server/strategy/aggregate_test.py)", () => {
    // Flower expects 0.95 at coordinate 2: in float64, 0.9 is nearer to 1 than 1.1 is. In float32,
    // 1 − 0.9f and 1.1f − 1 are both 0.10000002384185791, so model order picks 1.1 and the mean is 1.05.
    const out = meanOfClosest(
      [1, 2, 1, 2, 3, 4],
      models(
        [1, 2, 1, 2, 3, 4],
        [1.1, 2.1, 1.1, 2.1, 3.1, 4.1],
        [1.2, 2.2, 1.2, 2.2, 3.2, 4.2],
        [1.3, 2.3, 0.9, 2.5, 3.4, 3.8],
      ),
      2,
    );
    expectClose(out, [1.05, 2.05, 1.05, 2.05, 3.05, 4.05]);
  });
});
