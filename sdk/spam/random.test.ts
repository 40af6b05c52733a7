import { describe, expect, it } from "vitest";
import { dirichlet, seededRandom, shuffle } from "./random";

describe("shuffle", () => {
  it("permutes in place, reproducibly from the seed", () => {
    const a = shuffle(
      Array.from({ length: 100 }, (_, i) => i),
      seededRandom(1),
    );
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(
      shuffle(
        Array.from({ length: 100 }, (_, i) => i),
        seededRandom(1),
      ),
    ).toEqual(a);
    expect(
      shuffle(
        Array.from({ length: 100 }, (_, i) => i),
        seededRandom(2),
      ),
    ).not.toEqual(a);
  });
});

describe("dirichlet", () => {
  it("draws points of the simplex whose mean is α / Σα", () => {
    const random = seededRandom(7);
    const alpha = [0.5, 2, 4.5];
    const mean = [0, 0, 0];
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const q = dirichlet(alpha, random);
      expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      q.forEach((x, j) => {
        expect(x).toBeGreaterThanOrEqual(0);
        mean[j]! += x / n;
      });
    }
    // Standard errors are below 0.002 for these α.
    mean.forEach((m, j) => {
      expect(m).toBeCloseTo(alpha[j]! / 7, 2);
    });
  });

  it("stays finite for tiny concentrations, where draws are nearly one-hot", () => {
    const random = seededRandom(3);
    const draws = Array.from({ length: 1000 }, () => dirichlet([0.005, 0.005], random));
    expect(draws.every((q) => q.every(Number.isFinite))).toBe(true);
    // Beta(a, a) puts about 2a·ln(99) ≈ 5% of its mass in [0.01, 0.99] for a = 0.005.
    expect(draws.filter((q) => Math.max(...q) > 0.99).length).toBeGreaterThan(900);
  });
});
