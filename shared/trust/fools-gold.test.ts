import { describe, expect, it } from "vitest";
import { mulberry32 } from "../model-init";
import { addToHistory, foolsGold } from "./fools-gold";

const histories = (...rows: number[][]) =>
  rows.map((r, i) => ({ deviceId: `d${i}`, history: Float32Array.from(r) }));

describe("foolsGold (Fung et al., RAID 2020, Algorithm 1)", () => {
  it("weights a history alike to another by the logit of its normalized dissimilarity", () => {
    // cos(d0, d1) = 0.6, d2 orthogonal to both: α = 0.4, 0.4, 1; normalized 0.4, 0.4, 1;
    // weights ln(0.4 / 0.6) + 0.5 ≈ 0.0945 for d0 and d1, 1 for d2.
    const { weights } = foolsGold(histories([1, 0, 0], [0.6, 0.8, 0], [0, 0, 1]));
    expect(weights[0]).toBeCloseTo(Math.log(2 / 3) + 0.5, 6);
    expect(weights[1]).toBeCloseTo(Math.log(2 / 3) + 0.5, 6);
    expect(weights[2]).toBe(1);
  });

  it("pardons a device that resembles one which resembles another even more", () => {
    // cos(d0, d1) = 0.6, cos(d1, d2) = 0.8: v = 0.6, 0.8, 0.8, 0. d0's similarity to d1 is
    // pardoned to 0.6 · 0.6 / 0.8 = 0.45, so α = 0.55, 0.2, 0.2, 1 and d0's weight is
    // ln(0.55 / 0.45) + 0.5 ≈ 0.7007 (without pardoning: ln(0.4 / 0.6) + 0.5 ≈ 0.0945).
    const { weights } = foolsGold(histories([1, 0, 0], [0.6, 0.8, 0], [0, 1, 0], [0, 0, 1]));
    expect(weights[0]).toBeCloseTo(Math.log(0.55 / 0.45) + 0.5, 6);
    expect(weights.slice(1)).toEqual([0, 0, 1]);
  });

  it("scales the logit by κ", () => {
    const { weights } = foolsGold(histories([1, 0, 0], [0.6, 0.8, 0], [0, 0, 1]), { kappa: 2 });
    expect(weights[0]).toBeCloseTo(2 * (Math.log(2 / 3) + 0.5), 6);
  });

  it("gives a Sybil group weight 0 and honest devices weight 1 (true positives and true negatives)", () => {
    const random = mulberry32(7);
    const vector = () => Float32Array.from({ length: 50 }, () => 2 * random() - 1);
    const poison = vector();
    const devices = [
      ...[0, 1, 2, 3].map((i) => ({
        deviceId: `sybil${i}`,
        history: poison.map((x) => x + 0.02 * (2 * random() - 1)),
      })),
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ deviceId: `honest${i}`, history: vector() })),
    ];
    const { weights, verdicts } = foolsGold(devices);
    expect(weights.slice(0, 4)).toEqual([0, 0, 0, 0]);
    for (const w of weights.slice(4)) expect(w).toBe(1);
    expect(verdicts.map((v) => v.suspicious)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(verdicts[0]).toMatchObject({
      kind: "similar-history",
      reason: expect.stringMatching(/device sybil\d's is 0\.99/),
    });
  });

  it("gives a lone device weight 1 and a set of identical histories weight 0", () => {
    expect(foolsGold(histories([1, 2])).weights).toEqual([1]);
    expect(foolsGold(histories([1, 2], [1, 2], [2, 4])).weights).toEqual([0, 0, 0]);
    expect(foolsGold([]).weights).toEqual([]);
  });
});

describe("addToHistory", () => {
  it("starts from the first update and adds each later one, returning a new array", () => {
    const first = Float32Array.of(1, 2);
    const h1 = addToHistory(undefined, first);
    expect(h1).not.toBe(first);
    expect(Array.from(addToHistory(h1, Float32Array.of(0.5, -2)))).toEqual([1.5, 0]);
    expect(Array.from(h1)).toEqual([1, 2]);
  });

  it("refuses an update of another length", () => {
    expect(() => addToHistory(Float32Array.of(1), Float32Array.of(1, 2))).toThrow(RangeError);
  });

  it("refuses a device listed twice, which would be its own twin", () => {
    const history = Float32Array.of(1, 0, 0);
    expect(() =>
      foolsGold([
        { deviceId: "a", history },
        { deviceId: "a", history },
        { deviceId: "b", history: Float32Array.of(0, 1, 0) },
      ]),
    ).toThrow(RangeError);
  });
});
