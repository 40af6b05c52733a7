import { describe, expect, it } from "vitest";
import { directionOutlier, persistentlyAgainst } from "./direction-outlier";

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

describe("persistentlyAgainst", () => {
  it("flags a device whose updates lean against the reference every time, though no single one is far out", () => {
    // A sign-flipped device: each cosine between −0.1 and −0.3.
    const v = persistentlyAgainst([-0.12, -0.28, -0.19, -0.21, -0.15], {
      referenceName: "the model's drift",
    });
    expect(v).toMatchObject({ kind: "direction-outlier", suspicious: true });
    expect(v.score).toBeCloseTo(-0.19, 10);
    expect(v.reason).toBe("mean cosine -0.19 of its last 5 updates with the model's drift (threshold -0.1)");
    // The same device after two of those updates: not yet.
    expect(persistentlyAgainst([-0.12, -0.28]).suspicious).toBe(false);
  });

  it("flags one update only far out, and loosens the bound as updates accumulate", () => {
    expect(persistentlyAgainst([-0.6])).toMatchObject({
      suspicious: true,
      reason: expect.stringMatching(/threshold -0.4\)$/),
    });
    expect(persistentlyAgainst([-0.3]).suspicious).toBe(false);
    // Bounds −0.4, −0.325, −0.25, −0.175, then −0.1 from five on.
    expect(persistentlyAgainst([-0.3, -0.2, -0.3]).suspicious).toBe(true);
    expect(persistentlyAgainst([-0.2, -0.2, -0.2]).suspicious).toBe(false);
    expect(persistentlyAgainst([-0.2, -0.2, -0.2, -0.2]).suspicious).toBe(true);
  });

  it("spares an honest device that points against the reference now and then, or a little all the time", () => {
    // Label skew: one update well against, the rest along.
    expect(persistentlyAgainst([-0.25, 0.2, 0.1, 0.3, -0.05]).suspicious).toBe(false);
    expect(persistentlyAgainst([-0.25]).suspicious).toBe(false);
    // A device holding mostly the minority class: slightly against, consistently.
    expect(persistentlyAgainst([-0.07, -0.05, -0.09, -0.06, -0.08, -0.07]).suspicious).toBe(false);
    expect(persistentlyAgainst([]).suspicious).toBe(false);
  });
});
