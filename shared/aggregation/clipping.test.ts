import { describe, expect, it } from "vitest";
import { clipBound, clipFactor, clipToNorm, median } from "./clipping";

describe("median", () => {
  it("is the middle value of an odd count and the mean of the two middle values of an even count", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe("clipBound", () => {
  it("is unbounded when clipping is off, and the fixed bound when it is fixed", () => {
    expect(clipBound({ kind: "off" }, [1, 2, 3])).toBe(Number.POSITIVE_INFINITY);
    expect(clipBound({ kind: "fixed", maxNorm: 2.5 }, [100])).toBe(2.5);
  });

  it("adaptive: multiplier × the median of the last `window` norms once minHistory are known", () => {
    const config = { kind: "adaptive", multiplier: 4, window: 3, minHistory: 2 } as const;
    // The window keeps [10, 2, 3]: median 3, so C = 12. The 1000 fell out of the window.
    expect(clipBound(config, [1000, 10, 2, 3])).toBe(12);
  });

  it("adaptive: no bound during warm-up, or maxNorm when one is given; maxNorm also caps C after it", () => {
    const warm = { kind: "adaptive", multiplier: 4, window: 10, minHistory: 3 } as const;
    expect(clipBound(warm, [1, 1])).toBe(Number.POSITIVE_INFINITY);
    expect(clipBound({ ...warm, maxNorm: 7 }, [1, 1])).toBe(7);
    expect(clipBound({ ...warm, maxNorm: 7 }, [5, 5, 5])).toBe(7);
    expect(clipBound({ ...warm, maxNorm: 70 }, [5, 5, 5])).toBe(20);
  });
});

describe("clipFactor", () => {
  it("leaves an update within the bound as it is and scales a larger one down to the bound", () => {
    expect(clipFactor(3, 5)).toBe(1);
    expect(clipFactor(5, 5)).toBe(1);
    expect(clipFactor(20, 5)).toBe(0.25);
    expect(clipFactor(1e6, Number.POSITIVE_INFINITY)).toBe(1);
  });
});

describe("clipToNorm", () => {
  it("scales a vector above C to norm C, and leaves one within it as it is (the same array)", () => {
    const long = Float32Array.of(3, 4);
    expect(Array.from(clipToNorm(long, 1))).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(long)).toEqual([3, 4]);
    const short = Float32Array.of(0.3, 0.4);
    expect(clipToNorm(short, 1)).toBe(short);
  });
});
