import { describe, expect, it } from "vitest";
import { meanAndStd, seededUniform } from "../../test/fixtures";
import { parseTaskConfig } from "../protocol/task-config";
import {
  budgetSpent,
  type CentralDp,
  calibrateNoise,
  charge,
  epsilonOf,
  NOTHING_SPENT,
  privateMean,
  roundSize,
} from "./central-dp";
import { addGaussianNoise } from "./gaussian";
import { DEFAULT_ORDERS, epsilonFromRdp, sampledGaussianRdp } from "./rdp";

const dp: CentralDp = { kind: "central", clipNorm: 2, noiseMultiplier: 1.1, samplingRate: 0.1, delta: 1e-5 };

describe("addGaussianNoise", () => {
  it("adds N(0, std²): over 200,000 draws the mean is within 4 standard errors of 0 and the std within 1%", () => {
    const values = new Float32Array(200_001); // odd: the last value gets the first half of a pair
    addGaussianNoise(values, 3, seededUniform(7));
    const { mean, std } = meanAndStd(values);
    expect(Math.abs(mean)).toBeLessThan((4 * 3) / Math.sqrt(values.length));
    expect(Math.abs(std / 3 - 1)).toBeLessThan(0.01);
    expect(values[200_000]).not.toBe(0);
  });

  it("draws from the platform's cryptographic generator by default: two calls differ, every value finite", () => {
    const a = new Float32Array(70_000); // many of the generator's blocks of 2,048 words
    const b = new Float32Array(70_000);
    addGaussianNoise(a, 1);
    addGaussianNoise(b, 1);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    expect(Math.abs(meanAndStd(a).std - 1)).toBeLessThan(0.05);
  });

  it("adds nothing at std 0 and refuses a negative or infinite std", () => {
    const values = Float32Array.of(1, 2);
    addGaussianNoise(values, 0);
    expect(Array.from(values)).toEqual([1, 2]);
    expect(() => addGaussianNoise(values, -1)).toThrow(/noise std/);
    expect(() => addGaussianNoise(values, Number.POSITIVE_INFINITY)).toThrow(/noise std/);
  });
});

describe("privateMean", () => {
  it("is (sum + N(0, (σC)²)) / the round size: the error's std is σC/n", () => {
    const sum = new Float32Array(100_000).fill(50);
    const mean = privateMean(sum, dp, 25, seededUniform(3));
    const noise = mean.map((v) => v - 2);
    const { mean: bias, std } = meanAndStd(noise);
    expect(Math.abs(bias)).toBeLessThan((4 * 0.088) / Math.sqrt(sum.length));
    expect(Math.abs(std / ((1.1 * 2) / 25) - 1)).toBeLessThan(0.01);
    expect(Array.from(sum.subarray(0, 3))).toEqual([50, 50, 50]); // the input is left as it was
  });
});

describe("the accountant's charge per version", () => {
  it("adds one sampled-Gaussian application per version: T versions cost T times one", () => {
    let spent = NOTHING_SPENT;
    for (let t = 0; t < 30; t++) spent = charge(dp, spent, 1).spent;
    const expected = sampledGaussianRdp(0.1, 1.1, DEFAULT_ORDERS).map((r) => 30 * r);
    const worst = Math.max(
      ...spent.rdp.map((r, i) => Math.abs(r - expected[i]!) / Math.max(1, expected[i]!)),
    );
    expect(worst).toBeLessThan(1e-12);
    expect(spent.versions).toBe(30);
    expect(epsilonOf(dp, spent)).toBeCloseTo(epsilonFromRdp(DEFAULT_ORDERS, expected, 1e-5).epsilon, 9);
  });

  it("charges a version in which one device has b updates at noise multiplier σ/b", () => {
    const twice = charge(dp, NOTHING_SPENT, 2);
    const atHalf = charge({ ...dp, noiseMultiplier: 0.55 }, NOTHING_SPENT, 1);
    expect(twice.epsilon).toBeCloseTo(atHalf.epsilon, 12);
    expect(twice.epsilon).toBeGreaterThan(charge(dp, NOTHING_SPENT, 1).epsilon);
    expect(() => charge(dp, NOTHING_SPENT, 0)).toThrow(/bound/);
  });

  it("says the budget is spent once one more version would pass it", () => {
    const one = charge(dp, NOTHING_SPENT, 1);
    const two = charge(dp, one.spent, 1);
    const budget = { ...dp, epsilonBudget: (one.epsilon + two.epsilon) / 2 };
    expect(budgetSpent(budget, NOTHING_SPENT)).toBe(false);
    expect(budgetSpent(budget, one.spent)).toBe(true);
    expect(budgetSpent(dp, two.spent)).toBe(false); // no budget: never spent
  });
});

describe("roundSize", () => {
  it("is FedBuff's buffer, or a synchronous round's target", () => {
    const model = { parameters: 1, layout: [{ name: "w", shape: [1], offset: 0 }] };
    expect(roundSize(parseTaskConfig({ model, aggregation: { mode: "async", bufferSize: 7 } }))).toBe(7);
    expect(roundSize(parseTaskConfig({ model, round: { targetUpdates: 40 } }))).toBe(40);
  });
});

describe("calibrateNoise", () => {
  it("finds the σ with which T versions spend ε: within it, and 0.2% less noise would not be", () => {
    const o = { epsilon: 8, delta: 1e-5, samplingRate: 0.2, versions: 30 };
    const sigma = calibrateNoise(o);
    const spendAt = (s: number) => {
      let spent = NOTHING_SPENT;
      for (let t = 0; t < o.versions; t++)
        spent = charge({ ...dp, noiseMultiplier: s, samplingRate: 0.2 }, spent, 1).spent;
      return epsilonOf({ ...dp, samplingRate: 0.2 }, spent);
    };
    expect(spendAt(sigma)).toBeLessThanOrEqual(8);
    expect(spendAt(sigma * 0.998)).toBeGreaterThan(8);
  });

  it("refuses ε ≤ 0 and a non-integer number of versions", () => {
    expect(() => calibrateNoise({ epsilon: 0, delta: 1e-5, samplingRate: 1, versions: 1 })).toThrow(
      /epsilon/,
    );
    expect(() => calibrateNoise({ epsilon: 1, delta: 1e-5, samplingRate: 1, versions: 1.5 })).toThrow(
      /versions/,
    );
  });
});
