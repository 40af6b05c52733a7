import { describe, expect, it } from "vitest";
import { initialWeights } from "./model-init";

const layout = [{ name: "w", shape: [1000], offset: 0 }];

describe("initial weights", () => {
  it("are zeros by default", () => {
    expect(initialWeights({ parameters: 1000, layout, init: { kind: "zeros" } }).every((x) => x === 0)).toBe(
      true,
    );
  });

  it("are reproducible from the seed and bounded by the scale", () => {
    const model = { parameters: 1000, layout, init: { kind: "uniform" as const, scale: 0.1, seed: 42 } };
    const a = initialWeights(model);
    expect(initialWeights(model)).toEqual(a);
    expect(a.every((x) => Math.abs(x) <= 0.1)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(990);
    expect(initialWeights({ ...model, init: { ...model.init, seed: 43 } })).not.toEqual(a);
  });
});
