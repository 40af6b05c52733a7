import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topK } from "./top-k";

/** The oracle: sort (index, |value|) by magnitude descending, then index ascending. */
function sortedTopK(values: Float32Array, k: number): number[] {
  return Array.from(values, (v, i) => [Math.abs(v), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

describe("top-k selection", () => {
  it("picks exactly the k largest magnitudes, lowest indices first among ties, in increasing order", () => {
    fc.assert(
      fc.property(
        fc
          .array(
            fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1, -1, 0.5)),
            {
              minLength: 1,
              maxLength: 300,
            },
          )
          .chain((list) => fc.tuple(fc.constant(Float32Array.from(list)), fc.nat({ max: list.length }))),
        ([values, k]) => {
          expect(Array.from(topK(values, k))).toEqual(sortedTopK(values, k));
        },
      ),
    );
  });

  it("breaks ties by index: of equal magnitudes, the lowest indices win", () => {
    expect(Array.from(topK(Float32Array.of(1, -2, 2, -2, 0.5), 2))).toEqual([1, 2]);
    expect(Array.from(topK(new Float32Array(10).fill(3), 4))).toEqual([0, 1, 2, 3]);
  });

  it("selects from a million values without sorting them (quickselect), in expected linear time", () => {
    // Adversarial for naive pivots: already sorted, and all equal.
    const n = 1 << 20;
    const sorted = Float32Array.from({ length: n }, (_, i) => i);
    const equal = new Float32Array(n).fill(1);
    expect(topK(sorted, 3)).toEqual(Uint32Array.of(n - 3, n - 2, n - 1));
    expect(topK(equal, 2)).toEqual(Uint32Array.of(0, 1));
  });

  it("refuses k outside 0..length", () => {
    expect(() => topK(new Float32Array(3), 4)).toThrow(RangeError);
    expect(() => topK(new Float32Array(3), 1.5)).toThrow(RangeError);
  });
});
