import { describe, expect, it } from "vitest";
import { meanAndStd, seededUniform } from "../../test/fixtures";
import { addDiscreteGaussian, discreteGaussian } from "./discrete-gaussian";
import { cryptoUniform } from "./uniform";

function draws(sigma: number, n: number, seed: number): number[] {
  const u = seededUniform(seed);
  return Array.from({ length: n }, () => discreteGaussian(sigma, u));
}

describe("the discrete Gaussian sampler", () => {
  it("gives N_Z(0, 1)'s probabilities: P(x) = exp(−x²/2) / Σ_k exp(−k²/2), within 0.005 over 200,000 draws", () => {
    const xs = draws(1, 200_000, 5);
    const z = Array.from({ length: 41 }, (_, k) => Math.exp(-((k - 20) ** 2) / 2)).reduce((a, b) => a + b, 0);
    for (const x of [-2, -1, 0, 1, 2, 3]) {
      const empirical = xs.filter((v) => v === x).length / xs.length;
      expect(Math.abs(empirical - Math.exp(-(x * x) / 2) / z)).toBeLessThan(0.005);
    }
  });

  it("has mean 0 and standard deviation σ (within 1.5%) at σ = 3.7 and σ = 10⁵, in integers", () => {
    for (const sigma of [3.7, 1e5]) {
      const xs = draws(sigma, 100_000, 11);
      expect(xs.every(Number.isInteger)).toBe(true);
      const { mean, std: sd } = meanAndStd(xs);
      expect(Math.abs(mean)).toBeLessThan((4 * sigma) / Math.sqrt(xs.length));
      expect(Math.abs(sd / sigma - 1)).toBeLessThan(0.015);
    }
  });

  it("adds noise mod 2³² to fixed-point words: negative draws wrap, the signed view keeps the value", () => {
    const words = new Uint32Array(50_000);
    addDiscreteGaussian(words, 1000, cryptoUniform());
    const signed = new Int32Array(words.buffer);
    expect(signed.some((v) => v < 0)).toBe(true);
    const sd = Math.sqrt(signed.reduce((a, b) => a + b * b, 0) / signed.length);
    expect(Math.abs(sd / 1000 - 1)).toBeLessThan(0.03);
  });

  it("refuses σ ≤ 0 or infinite", () => {
    expect(() => discreteGaussian(0, Math.random)).toThrow(/sigma/);
    expect(() => discreteGaussian(Number.POSITIVE_INFINITY, Math.random)).toThrow(/sigma/);
  });
});
