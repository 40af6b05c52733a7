import { describe, expect, it } from "vitest";
import { type OverloadInput, overloadDecision } from "./overload";

const base: OverloadInput = { backlog: 0, drainPerSecond: 100, maxDelayMs: 500, minBacklog: 10 };
const lowest = () => 0;
const highest = () => 0.999_999;

describe("overload decision", () => {
  it("accepts while the backlog is below drain × target delay (Little's law)", () => {
    expect(overloadDecision({ ...base, backlog: 49 }, lowest)).toEqual({ shed: false, allowedBacklog: 50 });
  });

  it("sheds once the backlog reaches drain × target delay", () => {
    expect(overloadDecision({ ...base, backlog: 50 }, lowest)).toMatchObject({
      shed: true,
      allowedBacklog: 50,
    });
  });

  it("raises the threshold as the measured drain rises, and lowers it as the drain falls", () => {
    const busy = overloadDecision({ ...base, backlog: 300, drainPerSecond: 1_000 }, lowest);
    const slow = overloadDecision({ ...base, backlog: 30, drainPerSecond: 40 }, lowest);

    expect(busy).toEqual({ shed: false, allowedBacklog: 500 });
    expect(slow).toMatchObject({ shed: true, allowedBacklog: 20 });
  });

  it("always accepts up to minBacklog, even with nothing drained yet", () => {
    expect(overloadDecision({ ...base, backlog: 9, drainPerSecond: 0 }, lowest).shed).toBe(false);
    expect(overloadDecision({ ...base, backlog: 10, drainPerSecond: 0 }, lowest).shed).toBe(true);
  });

  it("computes Retry-After from backlog / drain, jittered uniformly over [D, 2D] whole seconds", () => {
    // 800 queued at 100/s: 8 s to drain.
    const input = { ...base, backlog: 800 };

    expect(overloadDecision(input, lowest)).toEqual({
      shed: true,
      allowedBacklog: 50,
      expectedDelayMs: 8_000,
      retryAfterSeconds: 8,
    });
    expect(overloadDecision(input, highest)).toMatchObject({ retryAfterSeconds: 16 });
    expect(overloadDecision(input, () => 0.5)).toMatchObject({ retryAfterSeconds: 12 });
  });

  it("spreads Retry-After evenly over every whole second of [D, 2D]", () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 900; i++) {
      const decision = overloadDecision({ ...base, backlog: 800 }, () => i / 900);
      if (decision.shed)
        counts.set(decision.retryAfterSeconds, (counts.get(decision.retryAfterSeconds) ?? 0) + 1);
    }

    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16]);
    for (const count of counts.values()) expect(count).toBe(100);
  });

  it("never answers below the floor: a short queue still spreads retries over 1–2 s", () => {
    const input = { ...base, backlog: 60 }; // 0.6 s to drain

    expect(overloadDecision(input, lowest)).toMatchObject({ retryAfterSeconds: 1 });
    expect(overloadDecision(input, highest)).toMatchObject({ retryAfterSeconds: 2 });
  });

  it("never answers above the cap, also when nothing drains at all", () => {
    const stuck = overloadDecision({ ...base, backlog: 10_000, drainPerSecond: 0 }, lowest);
    const long = overloadDecision({ ...base, backlog: 10_000, maxRetryAfterSeconds: 30 }, highest);

    expect(stuck).toMatchObject({ shed: true, retryAfterSeconds: 60, expectedDelayMs: 60_000 });
    expect(long).toMatchObject({ shed: true, retryAfterSeconds: 30 });
  });

  it("refuses inputs out of range, naming the field", () => {
    expect(() => overloadDecision({ ...base, backlog: -1 }, lowest)).toThrow(/overload\.backlog/);
    expect(() => overloadDecision({ ...base, drainPerSecond: Number.NaN }, lowest)).toThrow(
      /overload\.drainPerSecond/,
    );
    expect(() => overloadDecision({ ...base, maxDelayMs: 0 }, lowest)).toThrow(/overload\.maxDelayMs/);
    expect(() => overloadDecision({ ...base, minBacklog: 0 }, lowest)).toThrow(/overload\.minBacklog/);
    expect(() => overloadDecision({ ...base, minRetryAfterSeconds: 0 }, lowest)).toThrow(
      /overload\.minRetryAfterSeconds/,
    );
    expect(() =>
      overloadDecision({ ...base, minRetryAfterSeconds: 5, maxRetryAfterSeconds: 4 }, lowest),
    ).toThrow(/overload\.maxRetryAfterSeconds/);
  });
});
