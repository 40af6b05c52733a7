import { describe, expect, it } from "vitest";
import { evaluateLogits, logLoss, sigmoid } from "./metrics";

describe("logLoss", () => {
  it("is the binary cross-entropy of σ(z)", () => {
    for (const z of [-3, -0.5, 0, 0.7, 4]) {
      expect(logLoss(z, true)).toBeCloseTo(-Math.log(sigmoid(z)), 12);
      expect(logLoss(z, false)).toBeCloseTo(-Math.log(1 - sigmoid(z)), 12);
    }
  });

  it("stays finite and exact where σ(z) rounds to 0 or 1", () => {
    expect(logLoss(800, false)).toBe(800);
    expect(logLoss(-800, true)).toBe(800);
    expect(logLoss(800, true)).toBe(0);
  });
});

describe("evaluateLogits", () => {
  it("averages the loss and counts z ≥ 0 as spam", () => {
    const labels = [{ spam: true }, { spam: false }, { spam: true }, { spam: false }];
    const result = evaluateLogits([2, -1, -0.5, 0], labels);
    expect(result.examples).toBe(4);
    expect(result.accuracy).toBe(0.5);
    expect(result.loss).toBeCloseTo(
      (logLoss(2, true) + logLoss(-1, false) + logLoss(-0.5, true) + logLoss(0, false)) / 4,
      12,
    );
  });

  it("reports zeros for no examples and refuses mismatched lengths", () => {
    expect(evaluateLogits([], [])).toEqual({ loss: 0, accuracy: 0, examples: 0 });
    expect(() => evaluateLogits([1], [])).toThrow(RangeError);
  });
});
