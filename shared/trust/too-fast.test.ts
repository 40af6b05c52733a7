import { describe, expect, it } from "vitest";
import { minimumWorkMs, tooFast } from "./too-fast";

describe("minimumWorkMs", () => {
  it("is samples × epochs × the fastest time per sample", () => {
    expect(minimumWorkMs({ samples: 200, epochs: 2 }, 0.5)).toBe(200);
  });

  it("refuses a negative or non-finite input, naming it", () => {
    expect(() => minimumWorkMs({ samples: -1, epochs: 1 }, 1)).toThrow(/samples must be ≥ 0, got -1/);
    expect(() => minimumWorkMs({ samples: 1, epochs: 1 }, Number.NaN)).toThrow(/fastestMsPerSample/);
  });
});

describe("tooFast", () => {
  it("flags an update that arrived before the work could be done (true positive)", () => {
    expect(tooFast(50, 200)).toEqual({
      kind: "too-fast",
      suspicious: true,
      score: 0.25,
      reason: "finished in 50 ms; the assigned work takes at least 200 ms",
    });
  });

  it("passes an update that took at least the minimum (true negative)", () => {
    expect(tooFast(200, 200)).toMatchObject({ suspicious: false, score: 1 });
    expect(tooFast(5000, 200).suspicious).toBe(false);
  });

  it("judges nothing when the work has no minimum", () => {
    expect(tooFast(0, 0).suspicious).toBe(false);
  });
});
