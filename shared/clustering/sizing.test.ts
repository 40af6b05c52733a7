import { describe, expect, it } from "vitest";
import { nextSizeFactor, sizedTarget } from "./sizing";

const stats = (fill: number, wait: number, n = 20) => ({
  fillSum: fill * n,
  fillCount: n,
  waitSum: wait * n,
  waitCount: n,
});

describe("automatic cluster sizing", () => {
  it("shrinks clusters whose waits run out with members missing, by a fifth per re-clustering", () => {
    expect(nextSizeFactor(1, stats(0.6, 5), 10)).toBeCloseTo(0.8, 12);
  });

  it("grows clusters that fill at once, by a quarter, and leaves those in between alone", () => {
    expect(nextSizeFactor(1, stats(1, 1), 10)).toBeCloseTo(1.25, 12);
    // Full, but the updates waited half the wait: not at once.
    expect(nextSizeFactor(1, stats(1, 5), 10)).toBe(1);
    expect(nextSizeFactor(1, stats(0.9, 1), 10)).toBe(1);
  });

  it("moves only on enough evidence, and within [0.5, 2]", () => {
    expect(nextSizeFactor(1, stats(0.1, 5, 9), 10)).toBe(1);
    expect(nextSizeFactor(0.55, stats(0.1, 5), 10)).toBe(0.5);
    expect(nextSizeFactor(1.9, stats(1, 0), 10)).toBe(2);
  });

  it("keeps the size within [max(2, ⌈T/2⌉), 2T]", () => {
    expect(sizedTarget(10, 1)).toBe(10);
    expect(sizedTarget(10, 0.5)).toBe(5);
    expect(sizedTarget(10, 2)).toBe(20);
    expect(sizedTarget(3, 0.5)).toBe(2);
    expect(sizedTarget(1, 0.5)).toBe(1);
  });
});
