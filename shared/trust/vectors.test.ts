import { describe, expect, it } from "vitest";
import { cosine, dot, l2Norm, meanAbs } from "./vectors";

describe("vectors", () => {
  it("computes dot, L2 norm and mean absolute value", () => {
    expect(dot([1, 2, 3], [4, -5, 6])).toBe(12);
    expect(l2Norm([3, 4])).toBe(5);
    expect(meanAbs([1, -3])).toBe(2);
    expect(meanAbs([])).toBe(0);
  });

  it("gives cosine 0 when either vector is zero: it has no direction", () => {
    expect(cosine([1, 0], [0, 0])).toBe(0);
    expect(cosine([2, 0], [-3, 0])).toBe(-1);
  });

  it("refuses vectors of different lengths", () => {
    expect(() => dot([1], [1, 2])).toThrow(RangeError);
  });
});
