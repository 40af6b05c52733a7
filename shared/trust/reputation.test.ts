import { describe, expect, it } from "vitest";
import {
  aggregationWeightFactor,
  checkReputationConfig,
  DEFAULT_REPUTATION_CONFIG,
  decayTo,
  type Interaction,
  initialReputation,
  opinionOf,
  quarantine,
  recordInteraction,
  reputationOf,
} from "./reputation";

const HOUR = 60 * 60 * 1000;
// κ = 0.4, η = 0.6, W = 2, a = 0.5, floor 0.3, timeouts at half weight, half-life 1 h.
const config = { ...DEFAULT_REPUTATION_CONFIG, halfLifeMs: HOUR, coolOffMs: 2 * HOUR };
const T0 = 1_700_000_000_000;

function recorded(interactions: Interaction[], now = T0) {
  return interactions.reduce((s, i) => recordInteraction(s, i, now, config), initialReputation(now));
}

describe("reputation (subjective logic with time decay, Kang et al. 2019)", () => {
  it("is the base rate, with full uncertainty, for a device nothing is known about", () => {
    expect(opinionOf(initialReputation(T0), T0, config)).toEqual({ belief: 0, disbelief: 0, uncertainty: 1 });
    expect(reputationOf(initialReputation(T0), T0 + 5 * HOUR, config)).toBe(0.5);
  });

  it("rises with a useful update and falls further with a detection", () => {
    // Useful: b = 0.4 / 2.4, u = 2 / 2.4 → T = 1/6 + 0.5·5/6 = 7/12.
    expect(reputationOf(recorded(["useful"]), T0, config)).toBeCloseTo(7 / 12, 12);
    // Detected: d = 0.6 / 2.6, u = 2 / 2.6 → T = 0.5·2/2.6 = 5/13.
    expect(reputationOf(recorded(["detected"]), T0, config)).toBeCloseTo(5 / 13, 12);
  });

  it("counts a timeout as timeoutWeight of a detection", () => {
    // negative = 0.5 → ηβ = 0.3 → T = 0.5·2/2.3 = 10/23.
    expect(recorded(["timeout"]).negative).toBe(0.5);
    expect(reputationOf(recorded(["timeout"]), T0, config)).toBeCloseTo(10 / 23, 12);
  });

  it("halves the evidence after one half-life and quarters it after two (fake clock)", () => {
    const s = recorded(["useful", "useful", "detected", "detected"]);
    expect(decayTo(s, T0 + HOUR, config)).toEqual({ positive: 1, negative: 1, updatedAt: T0 + HOUR });
    expect(decayTo(s, T0 + 2 * HOUR, config)).toMatchObject({ positive: 0.5, negative: 0.5 });
  });

  it("decays the evidence it has before adding the new interaction", () => {
    const s = recordInteraction(recorded(["useful"]), "useful", T0 + HOUR, config);
    expect(s).toEqual({ positive: 1.5, negative: 0, updatedAt: T0 + HOUR });
  });

  it("does not grow evidence for an interaction recorded out of order", () => {
    const s = recordInteraction(recorded(["useful"], T0 + HOUR), "useful", T0, config);
    expect(s).toEqual({ positive: 2, negative: 0, updatedAt: T0 + HOUR });
  });

  it("returns toward the base rate as evidence fades: misbehaviour is forgiven, merit forgotten", () => {
    const bad = recorded(["detected", "detected", "detected"]);
    const good = recorded(["useful", "useful", "useful"]);
    expect(reputationOf(bad, T0, config)).toBeLessThan(0.3);
    expect(reputationOf(good, T0, config)).toBeGreaterThan(0.6);
    expect(reputationOf(bad, T0 + 20 * HOUR, config)).toBeCloseTo(0.5, 5);
    expect(reputationOf(good, T0 + 20 * HOUR, config)).toBeCloseTo(0.5, 5);
  });

  it("keeps its state as plain JSON", () => {
    const s = recorded(["useful", "timeout"]);
    const copy = JSON.parse(JSON.stringify(s));
    expect(reputationOf(copy, T0 + HOUR, config)).toBe(reputationOf(s, T0 + HOUR, config));
  });
});

describe("quarantine", () => {
  it("quarantines for coolOffMs once a detection leaves the reputation below the floor", () => {
    // Two detections: T = 1/3.2 = 0.3125 ≥ 0.3. Three: T = 1/3.8 ≈ 0.263 < 0.3.
    expect(quarantine(recorded(["detected", "detected"]), "detected", T0, config)).toBeNull();
    expect(quarantine(recorded(["detected", "detected", "detected"]), "detected", T0, config)).toEqual({
      quarantinedUntil: T0 + 2 * HOUR,
    });
  });

  it("never quarantines after a useful update: a device back from cool-off is on probation", () => {
    // Twenty detections fade to 5 in two half-lives; one useful update then gives
    // T = (0.4 + 0.5·2) / (0.4 + 3 + 2) ≈ 0.259, still below the floor.
    const released = T0 + 2 * HOUR;
    const low = recorded(new Array<Interaction>(20).fill("detected"));
    const useful = recordInteraction(low, "useful", released, config);
    expect(reputationOf(useful, released, config)).toBeCloseTo(1.4 / 5.4, 12);
    expect(quarantine(useful, "useful", released, config)).toBeNull();
    const timedOut = recordInteraction(low, "timeout", released, config);
    expect(quarantine(timedOut, "timeout", released, config)).toEqual({
      quarantinedUntil: released + 2 * HOUR,
    });
  });
});

describe("aggregationWeightFactor", () => {
  const factor = (interactions: Interaction[], now = T0) =>
    aggregationWeightFactor(recorded(interactions), now, config);
  const times = (n: number, i: Interaction) => Array<Interaction>(n).fill(i);

  it("is 1 for a new device and for any device never detected", () => {
    expect(factor([])).toBe(1);
    expect(factor(times(10, "useful"))).toBe(1);
  });

  it("is T's place between the floor and T⁺, the reputation without the negative evidence", () => {
    // One detection: T = 1 / 2.6, T⁺ = a = 0.5 → (1/2.6 − 0.3) / 0.2.
    expect(factor(["detected"])).toBeCloseTo((1 / 2.6 - 0.3) / 0.2, 12);
    expect(factor(["detected"])).toBeCloseTo(0.423077, 6);
    // 11 useful, 4 detected: T = 5.4 / 8.8, T⁺ = 5.4 / 6.4.
    const mixed = [...times(11, "useful"), ...times(4, "detected")];
    expect(factor(mixed)).toBeCloseTo((5.4 / 8.8 - 0.3) / (5.4 / 6.4 - 0.3), 12);
    expect(factor(mixed)).toBeCloseTo(0.576803, 6);
  });

  it("takes weight from a device caught on two updates in five, whose T is still the base rate", () => {
    const caught = [...times(3, "useful"), ...times(2, "detected")];
    // κ·3 = η·2 = 1.2: T = 2.2 / 4.4 = a exactly, where the factor used to be 1; T⁺ = 2.2 / 3.2.
    expect(reputationOf(recorded(caught), T0, config)).toBeCloseTo(0.5, 12);
    expect(factor(caught)).toBeCloseTo(0.2 / (2.2 / 3.2 - 0.3), 12);
    expect(factor(caught)).toBeCloseTo(0.516129, 6);
  });

  it("is 0 at and below the floor", () => {
    // Three detections: T = 1 / 3.8 < 0.3.
    expect(factor(times(3, "detected"))).toBe(0);
  });

  it("comes back as useful updates arrive and as the negative evidence fades", () => {
    const once = ["detected", ...times(10, "useful")] as Interaction[];
    // p = 10, n = 1: T = 5 / 6.6, T⁺ = 5 / 6.
    expect(factor(once)).toBeCloseTo((5 / 6.6 - 0.3) / (5 / 6 - 0.3), 12);
    const history = [...times(10, "useful"), ...times(2, "detected")];
    const now = factor(history);
    // Five half-lives: p = 10/32, n = 2/32, T = 1.125 / 2.1625, T⁺ = 1.125 / 2.125.
    const later = aggregationWeightFactor(recorded(history), T0 + 5 * HOUR, config);
    expect(later).toBeCloseTo((1.125 / 2.1625 - 0.3) / (1.125 / 2.125 - 0.3), 12);
    expect(later).toBeGreaterThan(now);
  });
});

describe("checkReputationConfig", () => {
  it("accepts the defaults", () => {
    expect(() => checkReputationConfig(DEFAULT_REPUTATION_CONFIG)).not.toThrow();
  });

  it("names the field out of range", () => {
    expect(() => checkReputationConfig({ ...config, halfLifeMs: 0 })).toThrow(
      "reputation.halfLifeMs must be > 0, got 0",
    );
    expect(() => checkReputationConfig({ ...config, baseRate: 1.5 })).toThrow(
      /reputation.baseRate must be in \[0, 1\]/,
    );
    expect(() => checkReputationConfig({ ...config, floor: 0.5 })).toThrow(
      /reputation.floor must be < reputation.baseRate/,
    );
    expect(() => checkReputationConfig({ ...config, coolOffMs: -1 })).toThrow(/reputation.coolOffMs/);
  });
});
