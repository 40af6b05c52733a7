import { describe, expect, it } from "vitest";
import { type AimdConfig, type AimdState, aimdUpdate } from "./aimd";

const config: AimdConfig = { minRate: 0.5, maxRate: 10, increasePerSecond: 1, decreaseFactor: 0.5 };

describe("AIMD rate", () => {
  it("starts a device without state at maxRate", () => {
    expect(aimdUpdate(undefined, "clear", config, 0)).toEqual({ rate: 10, updatedAt: 0 });
  });

  it("halves the rate on each congested signal, never below minRate", () => {
    let state = aimdUpdate(undefined, "clear", config, 0);
    const rates: number[] = [];

    for (let i = 0; i < 6; i++) {
      state = aimdUpdate(state, "congested", config, 0);
      rates.push(state.rate);
    }

    expect(rates).toEqual([5, 2.5, 1.25, 0.625, 0.5, 0.5]);
  });

  it("adds increasePerSecond per elapsed second of clear signal, however often the device sends", () => {
    const slowed: AimdState = { rate: 1, updatedAt: 0 };

    const oneSignal = aimdUpdate(slowed, "clear", config, 3_000);
    let manySignals = slowed;
    for (let now = 100; now <= 3_000; now += 100) manySignals = aimdUpdate(manySignals, "clear", config, now);

    expect(oneSignal.rate).toBeCloseTo(4, 12);
    expect(manySignals.rate).toBeCloseTo(4, 12);
  });

  it("relaxes a slowed device that went idle back to maxRate when it returns", () => {
    const slowed: AimdState = { rate: 0.5, updatedAt: 0 };

    expect(aimdUpdate(slowed, "clear", config, 60_000).rate).toBe(10);
  });

  it("does not credit time when the clock steps backwards", () => {
    const state: AimdState = { rate: 2, updatedAt: 5_000 };

    expect(aimdUpdate(state, "clear", config, 4_000)).toEqual({ rate: 2, updatedAt: 5_000 });
  });

  it("brings two devices with unequal rates together when they share a congested link (Chiu & Jain)", () => {
    const capacity = 8;
    let a: AimdState = { rate: 7.5, updatedAt: 0 };
    let b: AimdState = { rate: 0.5, updatedAt: 0 };

    for (let now = 1_000; now <= 200_000; now += 1_000) {
      const signal = a.rate + b.rate > capacity ? "congested" : "clear";
      a = aimdUpdate(a, signal, config, now);
      b = aimdUpdate(b, signal, config, now);
    }

    expect(Math.abs(a.rate - b.rate)).toBeLessThan(0.01);
    expect(a.rate + b.rate).toBeGreaterThan(capacity / 2);
  });

  it("refuses a config out of range, naming the field", () => {
    expect(() => aimdUpdate(undefined, "clear", { ...config, minRate: 0 }, 0)).toThrow(/aimd\.minRate/);
    expect(() => aimdUpdate(undefined, "clear", { ...config, maxRate: 0.1 }, 0)).toThrow(/aimd\.maxRate/);
    expect(() => aimdUpdate(undefined, "clear", { ...config, increasePerSecond: -1 }, 0)).toThrow(
      /aimd\.increasePerSecond/,
    );
    expect(() => aimdUpdate(undefined, "clear", { ...config, decreaseFactor: 1 }, 0)).toThrow(
      /aimd\.decreaseFactor/,
    );
  });
});
