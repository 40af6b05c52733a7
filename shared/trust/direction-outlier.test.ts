import { describe, expect, it } from "vitest";
import { directionOutlier } from "./direction-outlier";

const reference = Float32Array.of(1, 2, 0, -1);

describe("directionOutlier", () => {
  it("flags a sign-flipped update, whose cosine with the reference is −1 (true positive)", () => {
    const v = directionOutlier(Float32Array.of(-1, -2, 0, 1), reference, {
      referenceName: "the last global delta",
    });
    expect(v).toMatchObject({ kind: "direction-outlier", suspicious: true });
    expect(v.score).toBeCloseTo(-1, 10);
    expect(v.reason).toBe("cosine -1 with the last global delta (threshold 0)");
  });

  it("passes an update roughly along the reference (true negative)", () => {
    // (1, 1, 0.5, −1)·(1, 2, 0, −1) = 4; norms √3.25 and √6 → cosine ≈ 0.906.
    const v = directionOutlier(Float32Array.of(1, 1, 0.5, -1), reference);
    expect(v.suspicious).toBe(false);
    expect(v.score).toBeCloseTo(4 / Math.sqrt(3.25 * 6), 10);
  });

  it("flags an orthogonal update only when the threshold asks for positive alignment", () => {
    const orthogonal = Float32Array.of(2, -1, 5, 0);
    expect(directionOutlier(orthogonal, reference).suspicious).toBe(false);
    expect(directionOutlier(orthogonal, reference, { minCosine: 0.1 }).suspicious).toBe(true);
  });

  it("does not judge a zero update or a zero reference", () => {
    expect(directionOutlier(new Float32Array(4), reference)).toMatchObject({ suspicious: false, score: 0 });
    expect(directionOutlier(reference, new Float32Array(4))).toMatchObject({ suspicious: false, score: 0 });
  });
});
