import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jainIndex, maxMinFair } from "./fair-share";

/** Rounding slack for sums of doubles. */
const slack = (x: number) => 1e-9 * Math.max(1, x);

/** The water level L with Σ min(dᵢ, L) = capacity, found by bisection: an oracle independent of the sort. */
function waterLevelOracle(capacity: number, demands: number[]): number[] {
  const total = demands.reduce((sum, d) => sum + d, 0);
  if (total <= capacity) return demands;
  let lo = 0;
  let hi = capacity;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (demands.reduce((sum, d) => sum + Math.min(d, mid), 0) > capacity) hi = mid;
    else lo = mid;
  }
  return demands.map((d) => Math.min(d, lo));
}

const demandsArb = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 6 }),
  fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(0), fc.integer({ min: 0, max: 100 })),
  { maxKeys: 30 },
);
const capacityArb = fc.double({ min: 0, max: 2e6, noNaN: true });

describe("max-min fair allocation", () => {
  it("gives every key its demand when the capacity covers them all", () => {
    expect(maxMinFair(100, { a: 10, b: 20, c: 30 })).toEqual({ a: 10, b: 20, c: 30 });
  });

  it("fills the smallest demands first and splits what is left evenly among the rest", () => {
    // Capacity 10 across demands 2, 2.6, 4, 5: 2 and 2.6 are met, the other two share 5.4.
    expect(maxMinFair(10, { a: 2, b: 2.6, c: 4, d: 5 })).toEqual({ a: 2, b: 2.6, c: 2.7, d: 2.7 });
  });

  it("never gives a met demand more than the level of the unmet ones, even where dividing rounds up", () => {
    // 13 units of 5e-324 shared by five keys: 13/5 rounds up to 3 units, 10/4 down to 2. Deciding
    // by the rounded quotient met the two demands of 3 units and left the rest at 2 (found by fast-check).
    const u = Number.MIN_VALUE;
    const allocation = maxMinFair(13 * u, { a: 3 * u, b: 3 * u, c: 1, d: 1, e: 1 });
    const level = allocation.c!;
    for (const share of Object.values(allocation)) expect(share).toBeLessThanOrEqual(level);
    // And at ordinary magnitudes, a demand equal to a quotient rounded up: 10/3 = 3.3333333333333335.
    const tie = maxMinFair(10, { a: 10 / 3, b: 5, c: 5 });
    for (const share of Object.values(tie)) expect(share).toBeLessThanOrEqual(tie.b!);
  });

  it("holds a key with unbounded demand to the water level", () => {
    expect(maxMinFair(9, { greedy: Number.POSITIVE_INFINITY, quiet: 1, other: 5 })).toEqual({
      greedy: 4,
      quiet: 1,
      other: 4,
    });
  });

  it("allocates nothing from zero capacity and handles no keys", () => {
    expect(maxMinFair(0, { a: 1, b: 0 })).toEqual({ a: 0, b: 0 });
    expect(maxMinFair(5, {})).toEqual({});
  });

  it("treats a key named __proto__ as an ordinary key", () => {
    const allocation = maxMinFair(4, JSON.parse('{"__proto__": 10, "a": 10}'));

    expect(Object.keys(allocation).sort()).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(allocation)).toBe(Object.prototype);
  });

  it("refuses a negative or NaN demand and a negative or infinite capacity, naming it", () => {
    expect(() => maxMinFair(1, { a: -1 })).toThrow(/demands\["a"\]/);
    expect(() => maxMinFair(1, { a: Number.NaN })).toThrow(/demands\["a"\]/);
    expect(() => maxMinFair(-1, {})).toThrow(/capacity/);
    expect(() => maxMinFair(Number.POSITIVE_INFINITY, {})).toThrow(/capacity/);
  });

  it("never allocates more than the capacity in total, nor more than any key's demand", () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const allocation = maxMinFair(capacity, demands);
        const total = Object.values(allocation).reduce((sum, a) => sum + a, 0);

        expect(Object.keys(allocation).sort()).toEqual(Object.keys(demands).sort());
        expect(total).toBeLessThanOrEqual(capacity + slack(capacity));
        for (const [key, a] of Object.entries(allocation)) {
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThanOrEqual(demands[key]!);
        }
      }),
    );
  });

  it("is max-min optimal: every unsatisfied key has the largest share, and none of the capacity is left", () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const allocation = maxMinFair(capacity, demands);
        const values = Object.values(allocation);
        const unsatisfied = Object.keys(demands).filter((key) => allocation[key]! < demands[key]!);
        if (unsatisfied.length === 0) return;

        // Growing an unsatisfied key's share needs capacity, which must come from a key with no more.
        const level = allocation[unsatisfied[0]!]!;
        for (const key of unsatisfied) expect(allocation[key]).toBe(level);
        for (const a of values) expect(a).toBeLessThanOrEqual(level);
        const total = values.reduce((sum, a) => sum + a, 0);
        expect(total).toBeGreaterThanOrEqual(capacity - slack(capacity));
      }),
    );
  });

  it("agrees with a water level found by bisection", () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const allocation = maxMinFair(capacity, demands);
        const expected = waterLevelOracle(capacity, Object.values(demands));

        Object.keys(demands).forEach((key, i) => {
          expect(allocation[key]).toBeCloseTo(expected[i]!, 6);
        });
      }),
    );
  });
});

describe("Jain's fairness index", () => {
  it("is 1 when all values are equal and 1/n when one value has everything", () => {
    expect(jainIndex([3, 3, 3, 3])).toBe(1);
    expect(jainIndex([0, 0, 7, 0])).toBe(0.25);
    expect(jainIndex([0, 0])).toBe(1);
  });

  it("matches the formula on an uneven allocation", () => {
    // (1 + 2 + 3)² / (3 · (1 + 4 + 9)) = 36 / 42
    expect(jainIndex([1, 2, 3])).toBeCloseTo(36 / 42, 15);
  });

  it("refuses no values and negative or non-finite ones", () => {
    expect(() => jainIndex([])).toThrow(RangeError);
    expect(() => jainIndex([1, -1])).toThrow(RangeError);
    expect(() => jainIndex([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});
