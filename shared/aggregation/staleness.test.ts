import { describe, expect, it } from "vitest";
import { pseudoGradient } from "./average";
import { stalenessWeight } from "./staleness";

describe("staleness weights (FedBuff, Nguyen et al. 2022)", () => {
  it("default 1/√(1+τ): 1 when fresh, ½ at τ = 3", () => {
    expect(stalenessWeight({ kind: "inverse-sqrt" }, 0)).toBe(1);
    expect(stalenessWeight({ kind: "inverse-sqrt" }, 3)).toBe(0.5);
  });

  it("polynomial (1+τ)^−a", () => {
    expect(stalenessWeight({ kind: "polynomial", exponent: 2 }, 1)).toBe(0.25);
    expect(stalenessWeight({ kind: "polynomial", exponent: 0.5 }, 3)).toBe(0.5);
  });

  it("constant ignores staleness", () => {
    expect(stalenessWeight({ kind: "constant" }, 50)).toBe(1);
  });

  it("rejects negative or fractional staleness", () => {
    expect(() => stalenessWeight({ kind: "constant" }, -1)).toThrow(RangeError);
    expect(() => stalenessWeight({ kind: "constant" }, 0.5)).toThrow(RangeError);
  });
});

describe("pseudo-gradient", () => {
  it("divides the staleness-scaled sum by the total sample weight", () => {
    // Two devices, n = 1 and 3, Δ = 4 and −4, the second 3 versions stale (s = ½):
    // (1·1·4 + ½·3·(−4)) / (1 + 3) = (4 − 6) / 4 = −0.5
    expect(Array.from(pseudoGradient({ sum: Float32Array.of(4 - 6), weight: 4 }))).toEqual([-0.5]);
  });

  it("refuses an empty aggregate", () => {
    expect(() => pseudoGradient({ sum: Float32Array.of(0), weight: 0 })).toThrow(RangeError);
  });
});
