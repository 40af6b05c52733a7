import { describe, expect, it } from "vitest";
import { TaskConfigSchema } from "../../shared/protocol/task-config";
import { layout, modelSpec, network, predict } from "./model";

describe("layout", () => {
  it("is w [B] and b [1] for logistic regression, 2^18 buckets by default", () => {
    expect(layout("logistic")).toEqual([
      { name: "w", shape: [262_144], offset: 0 },
      { name: "b", shape: [1], offset: 262_144 },
    ]);
  });

  it("is embedding [B, h], b1 [h], w2 [h], b2 [1] for the MLP, 16 hidden units by default", () => {
    expect(layout("mlp", 1000, 8)).toEqual([
      { name: "embedding", shape: [1000, 8], offset: 0 },
      { name: "b1", shape: [8], offset: 8000 },
      { name: "w2", shape: [8], offset: 8008 },
      { name: "b2", shape: [1], offset: 8016 },
    ]);
    expect(layout("mlp", 1000)[0]!.shape).toEqual([1000, 16]);
  });
});

describe("modelSpec", () => {
  it("is a model section fedge accepts, whose layout tiles the weights exactly", () => {
    for (const model of [
      { kind: "logistic" as const },
      { kind: "mlp" as const },
      { kind: "mlp" as const, buckets: 1024, hidden: 4 },
    ]) {
      const spec = TaskConfigSchema.parse({ model: modelSpec(model) }).model;
      expect(spec.parameters).toBe(network(model).parameters);
      expect(spec.layout).toEqual(network(model).layout);
    }
    expect(modelSpec({ kind: "logistic" }).parameters).toBe(262_145);
    expect(modelSpec({ kind: "mlp" }).parameters).toBe(262_144 * 16 + 33);
  });

  it("starts logistic regression at zero and the MLP from seeded uniform weights", () => {
    expect(modelSpec({ kind: "logistic" }).init).toEqual({ kind: "zeros" });
    expect(modelSpec({ kind: "mlp" }, 9).init).toEqual({ kind: "uniform", scale: 0.1, seed: 9 });
  });
});

describe("predict", () => {
  it("is σ of the model's logit: 1/2 for logistic regression at zero weights", () => {
    const model = { kind: "logistic" as const, buckets: 16 };
    const weights = new Float32Array(17);
    expect(predict(model, weights, Int32Array.from([1, 5]))).toBe(0.5);
    weights[1] = 1;
    weights[5] = 0.5;
    weights[16] = -0.25;
    expect(predict(model, weights, Int32Array.from([1, 5]))).toBeCloseTo(1 / (1 + Math.exp(-1.25)), 7);
  });

  it("computes the MLP's relu layer from the summed embedding rows", () => {
    const model = { kind: "mlp" as const, buckets: 4, hidden: 2 };
    // embedding rows 0..3, then b1, w2, b2.
    const weights = Float32Array.from([1, -1, 2, 0.5, 0, 0, 0, 0, 0.25, 0.25, 2, 3, -1]);
    // a = [1 + 2, -1 + 0.5] + 0.25 = [3.25, -0.25]; z = 2·3.25 + 3·0 − 1 = 5.5
    expect(predict(model, weights, Int32Array.from([0, 1]))).toBeCloseTo(1 / (1 + Math.exp(-5.5)), 7);
  });

  it("refuses weights of the wrong length", () => {
    expect(() =>
      predict({ kind: "logistic", buckets: 16 }, new Float32Array(16), Int32Array.from([1])),
    ).toThrow(RangeError);
  });
});
