import { describe, expect, it } from "vitest";
import { type DrainState, drainRate, drainStart, observeDrain } from "./drain-rate";

const halfLifeMs = 10_000;

/** Observes `items` every `everyMs` from `from` (exclusive) up to `to` (inclusive). */
function flushes(state: DrainState, from: number, to: number, everyMs: number, items: number): DrainState {
  let next = state;
  for (let now = from + everyMs; now <= to; now += everyMs) next = observeDrain(next, items, now, halfLifeMs);
  return next;
}

describe("drain rate", () => {
  it("is 0 before any time has passed or anything drained", () => {
    const state = drainStart(1_000);

    expect(drainRate(state, 1_000, halfLifeMs)).toBe(0);
    expect(drainRate(state, 5_000, halfLifeMs)).toBe(0);
  });

  it("reads the plain mean rate from the first flush on, without start-up bias", () => {
    const state = observeDrain(drainStart(0), 10, 500, halfLifeMs);

    expect(drainRate(state, 500, halfLifeMs)).toBeCloseTo(20, 0);
  });

  it("tracks a steady rate of flushes", () => {
    const state = flushes(drainStart(0), 0, 120_000, 500, 10);

    expect(drainRate(state, 120_000, halfLifeMs)).toBeCloseTo(20, 0);
  });

  it("moves halfway to a new rate in one half-life", () => {
    const steady = flushes(drainStart(0), 0, 200_000, 100, 2); // 20/s

    const after = flushes(steady, 200_000, 200_000 + halfLifeMs, 100, 4); // 40/s for one half-life

    expect(drainRate(after, 200_000 + halfLifeMs, halfLifeMs)).toBeCloseTo(30, 0);
  });

  it("decays while nothing drains, so a stalled parent shows as a falling drain rate", () => {
    const steady = flushes(drainStart(0), 0, 200_000, 100, 2);

    const before = drainRate(steady, 200_000, halfLifeMs);
    const stalled = drainRate(steady, 200_000 + 3 * halfLifeMs, halfLifeMs);

    expect(stalled / before).toBeCloseTo(1 / 8, 2);
  });

  it("survives a JSON round trip, as the cluster persists it", () => {
    const state = flushes(drainStart(0), 0, 10_000, 250, 3);

    const restored = JSON.parse(JSON.stringify(state)) as DrainState;

    expect(drainRate(restored, 12_000, halfLifeMs)).toBe(drainRate(state, 12_000, halfLifeMs));
  });

  it("refuses a negative count or a half-life that is not positive", () => {
    expect(() => observeDrain(drainStart(0), -1, 10)).toThrow(/items/);
    expect(() => drainRate(drainStart(0), 10, 0)).toThrow(/halfLifeMs/);
  });
});
