import { describe, expect, it } from "vitest";
import { referenceBackend } from "../kernels/reference";
import { fedAvgStep } from "./fedavg";

describe("FedAvg server step", () => {
  it("with η = 1 moves the model to the sample-weighted mean of the devices' models (McMahan et al. 2017)", () => {
    // Two devices: w₁ = w + Δ₁ with n₁ = 1, w₂ = w + Δ₂ with n₂ = 3. Mean model = (1·w₁ + 3·w₂) / 4.
    const w = Float32Array.of(1, 2);
    const d1 = Float32Array.of(4, 0);
    const d2 = Float32Array.of(0, -4);
    const sum = Float32Array.of(1 * 4 + 3 * 0, 1 * 0 + 3 * -4);
    expect(Array.from(fedAvgStep(w, { sum, weight: 4 }, 1, referenceBackend))).toEqual([
      (1 * (1 + d1[0]!) + 3 * (1 + d2[0]!)) / 4,
      (1 * (2 + d1[1]!) + 3 * (2 + d2[1]!)) / 4,
    ]);
  });

  it("scales the averaged update by the server learning rate", () => {
    const next = fedAvgStep(
      Float32Array.of(0),
      { sum: Float32Array.of(8), weight: 4 },
      0.5,
      referenceBackend,
    );
    expect(next[0]).toBe(1);
  });

  it("refuses an empty aggregate", () => {
    expect(() =>
      fedAvgStep(Float32Array.of(0), { sum: Float32Array.of(0), weight: 0 }, 1, referenceBackend),
    ).toThrow(RangeError);
  });
});
