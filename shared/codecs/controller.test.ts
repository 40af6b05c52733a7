import { describe, expect, it } from "vitest";
import { parseTaskConfig } from "../protocol/task-config";
import {
  budgetBytes,
  type ControllerPolicy,
  choose,
  EXPLORE_LIMIT,
  FEATURES,
  features,
  initialState,
  type LinkContext,
  learn,
  levelsOf,
  nextPrice,
  predictedBytes,
  rewardOf,
  stateFits,
  uploadSeconds,
} from "./controller";
import { encodeUpdate } from "./encoder";
import { SeededRandom } from "./random";

const DIM = 65_537;
const model = { parameters: DIM, layout: [{ name: "w", shape: [DIM], offset: 0 }] };
const policyOf = (controller: object = {}): ControllerPolicy => {
  const c = parseTaskConfig({ model, compression: { controller: { kind: "linucb", ...controller } } })
    .compression.controller;
  if (c.kind !== "linucb") throw new Error("expected linucb");
  return c;
};
const SLOW: LinkContext = { uplinkBytesPerSecond: 12_500, rttMs: 400, battery: 1, refused: 0 };
const MEDIUM: LinkContext = { uplinkBytesPerSecond: 625_000, rttMs: 100, battery: 1, refused: 0 };
const FAST: LinkContext = { uplinkBytesPerSecond: 6_250_000, rttMs: 30, battery: 1, refused: 0 };

describe("the compression controller's levels", () => {
  it("predicts an update's size within 10% of what the encoder writes, for every default level", () => {
    const random = new SeededRandom(7);
    const update = Float32Array.from({ length: DIM }, () => random.next() - 0.5);
    const meta = { baseVersion: 0, sampleWeight: 1, updateId: "0".repeat(32), layoutHash: "00000000" };
    for (const level of levelsOf(policyOf(), DIM)) {
      const actual = encodeUpdate(update, { ...level, random: random.next, ...meta }).byteLength;
      const predicted = predictedBytes(level, DIM);
      expect(Math.abs(predicted - actual) / actual, `${level.density}/${level.bits}`).toBeLessThan(0.1);
    }
  });

  it("orders the levels smallest upload first: 0.1% at 4 bits first, dense at 16 bits last", () => {
    const levels = levelsOf(policyOf(), DIM);
    expect(levels).toHaveLength(21);
    expect(levels[0]).toEqual({ density: 0.001, bits: 4 });
    expect(levels.at(-1)).toEqual({ density: 1, bits: 16 });
    const sizes = levels.map((l) => predictedBytes(l, DIM));
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
  });

  it("computes the reward as documented: 0.4·(1 − t/T) + 0.3·(1 − e) + 0.3·cos, time saved floored at −1", () => {
    const policy = policyOf();
    expect(rewardOf(policy, { uploadSeconds: 0.25, residualRatio: 0.5, usefulness: 0.8 })).toEqual({
      reward: expect.closeTo(0.4 * 0.75 + 0.3 * 0.5 + 0.3 * 0.8, 12),
      learned: expect.closeTo(0.3 * 0.5 + 0.3 * 0.8, 12),
    });
    // Ten budgets late counts as two; a negative cosine is no use, not a penalty.
    expect(rewardOf(policy, { uploadSeconds: 10, residualRatio: 0, usefulness: -0.5 }).reward).toBeCloseTo(
      -0.4 + 0.3,
      12,
    );
  });

  it("refuses reward weights that do not sum to 1, a schedule beside the controller, and secure aggregation, naming the field", () => {
    expect(() => policyOf({ reward: { time: 0.5, error: 0.5, usefulness: 0.5 } })).toThrow(
      /compression\.controller\.reward.*sum to 1/,
    );
    expect(() =>
      parseTaskConfig({
        model,
        compression: {
          controller: { kind: "linucb" },
          schedule: { kind: "exponential-decay", warmupVersions: 3 },
        },
      }),
    ).toThrow(/compression\.schedule.*must be fixed/);
    expect(() =>
      parseTaskConfig({
        model,
        compression: { controller: { kind: "linucb" } },
        privacy: { secureAggregation: { kind: "secagg", clipNorm: 1 } },
      }),
    ).toThrow(/compression\.controller: privacy\.secureAggregation hides individual updates/);
  });
});

describe("the compression controller's choices", () => {
  it("gives a slow link a sparse level and a fast one a dense level before it has learned anything", () => {
    const policy = policyOf();
    const state = initialState(policy, DIM);
    const slow = choose(state, policy, DIM, SLOW).level;
    const medium = choose(state, policy, DIM, MEDIUM).level;
    const fast = choose(state, policy, DIM, FAST).level;
    expect(slow.density).toBeLessThanOrEqual(0.01);
    expect(predictedBytes(medium, DIM)).toBeGreaterThan(predictedBytes(slow, DIM));
    expect(fast.density).toBe(1);
  });

  it("never offers a level predicted to take more than two budgets (the smallest always allowed), however optimistic the bonus", () => {
    const policy = policyOf({ alpha: 10 });
    const state = initialState(policy, DIM);
    const crawling: LinkContext = { uplinkBytesPerSecond: 50, rttMs: 900, battery: 0.5, refused: 3 };
    for (const link of [SLOW, MEDIUM, crawling]) {
      const { arm, level } = choose(state, policy, DIM, link);
      const seconds = uploadSeconds(predictedBytes(level, DIM), link);
      expect(arm === 0 || seconds <= EXPLORE_LIMIT * policy.uploadBudgetSeconds).toBe(true);
    }
    expect(choose(state, policy, DIM, crawling).arm).toBe(0);
  });

  it("converges to the best level on a synthetic reward: ≥ 90% of the last 200 choices, and every level tried", () => {
    const policy = policyOf({ densities: [0.01, 0.1, 1], bits: [4, 8], alpha: 0.5 });
    const state = initialState(policy, DIM);
    // The learned part of the reward, per level: 0.1 at 8 bits is best on this link, by 0.1.
    const truth = state.levels.map((l) => (l.density === 0.1 && l.bits === 8 ? 0.55 : 0.45 - l.density / 10));
    const link = MEDIUM;
    const scores = state.levels.map(
      (level, arm) =>
        policy.reward.time *
          Math.max(-1, 1 - uploadSeconds(predictedBytes(level, DIM), link) / policy.uploadBudgetSeconds) +
        truth[arm]!,
    );
    const bestArm = scores.indexOf(Math.max(...scores));
    const random = new SeededRandom(3);
    const chosen: number[] = [];
    for (let t = 0; t < 1000; t++) {
      const { arm } = choose(state, policy, DIM, link);
      chosen.push(arm);
      learn(state, arm, features(link), truth[arm]! + (random.next() - 0.5) * 0.2);
    }
    const last = chosen.slice(-200);
    expect(last.filter((a) => a === bestArm).length / last.length).toBeGreaterThanOrEqual(0.9);
    expect(state.arms.every((a) => a.pulls > 0)).toBe(true);
  });

  it("keeps A⁻¹ equal to the inverse of I + Σ xxᵀ (Sherman–Morrison)", () => {
    const policy = policyOf({ densities: [0.01], bits: [8] });
    const state = initialState(policy, DIM);
    const xs = [features(SLOW), features(FAST), features({ ...MEDIUM, battery: 0.3, refused: 2 })];
    for (const x of xs) learn(state, 0, x, 0.5);
    const a = Array.from({ length: FEATURES * FEATURES }, (_, k) => {
      const [i, j] = [Math.floor(k / FEATURES), k % FEATURES];
      return (i === j ? 1 : 0) + xs.reduce((s, x) => s + x[i]! * x[j]!, 0);
    });
    const ainv = state.arms[0]!.ainv;
    for (let i = 0; i < FEATURES; i++)
      for (let j = 0; j < FEATURES; j++) {
        let s = 0;
        for (let k = 0; k < FEATURES; k++) s += a[i * FEATURES + k]! * ainv[k * FEATURES + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
  });

  it("knows a state made for other levels does not fit", () => {
    const state = initialState(policyOf(), DIM);
    expect(stateFits(state, policyOf(), DIM)).toBe(true);
    expect(stateFits(state, policyOf({ bits: [8] }), DIM)).toBe(false);
  });
});

describe("the byte budget", () => {
  /** A cluster of fast and medium links assigned the levels the controller picks, the price moving at each assignment. */
  function run(policy: ControllerPolicy, uploads: number): { meanBytes: number; price: number } {
    const state = initialState(policy, DIM);
    let total = 0;
    let counted = 0;
    for (let i = 0; i < uploads; i++) {
      const link = i % 3 === 0 ? MEDIUM : FAST;
      const { level } = choose(state, policy, DIM, link);
      const bytes = predictedBytes(level, DIM);
      state.price = nextPrice(policy, DIM, state.price ?? 0, bytes);
      // The second half: after the price has found its level.
      if (i >= uploads / 2) {
        total += bytes;
        counted++;
      }
    }
    return { meanBytes: total / counted, price: state.price ?? 0 };
  }

  it("holds the mean upload to the budget where the time term alone would pick far larger levels", () => {
    const budget = budgetBytes(policyOf({ byteBudget: { ratio: 250 } }), DIM)!;
    expect(budget).toBeCloseTo((48 + 4 * DIM) / 250, 6);

    const unbudgeted = run(policyOf(), 2_000);
    const budgeted = run(policyOf({ byteBudget: { ratio: 250 } }), 2_000);

    expect(unbudgeted.meanBytes).toBeGreaterThan(10 * budget);
    expect(budgeted.meanBytes).toBeLessThanOrEqual(1.05 * budget);
    // Not by sending nothing: the smallest level is under a fifth of the budget.
    expect(budgeted.meanBytes).toBeGreaterThan(0.5 * budget);
    expect(budgeted.price).toBeGreaterThan(0);
  });

  it("moves the price by a step per budget's worth over or under it, never below 0, and not at all without a budget", () => {
    const policy = policyOf({ byteBudget: { ratio: 100, step: 0.1 } });
    const budget = budgetBytes(policy, DIM)!;
    expect(nextPrice(policy, DIM, 0, 3 * budget)).toBeCloseTo(0.2, 12);
    expect(nextPrice(policy, DIM, 1, budget / 2)).toBeCloseTo(0.95, 12);
    expect(nextPrice(policy, DIM, 0.5, budget)).toBeCloseTo(0.5, 12); // on budget
    expect(nextPrice(policy, DIM, 0.05, 0)).toBe(0); // projected onto λ ≥ 0
    expect(nextPrice(policyOf(), DIM, 0.3, 4 * DIM)).toBe(0.3);
    expect(budgetBytes(policyOf(), DIM)).toBeNull();
  });

  it("is refused below a ratio of 1 or with a step outside (0, 1]", () => {
    for (const byteBudget of [{ ratio: 0.5 }, { ratio: 10, step: 0 }, { ratio: 10, step: 2 }]) {
      expect(() =>
        parseTaskConfig({ model, compression: { controller: { kind: "linucb", byteBudget } } }),
      ).toThrow();
    }
  });
});
