import { describe, expect, it } from "vitest";
import { SeededRandom } from "../codecs/random";
import {
  type FairBudgetConfig,
  type FairBudgetState,
  fairBudgetAllowances,
  fairBudgetSpend,
} from "./fair-budget";
import { jainIndex, maxMinFair } from "./fair-share";

const config: FairBudgetConfig = { capacityBytes: 1_000, intervalMs: 1_000 };

/** Sends each [device, bytes, now] in order, returning the decisions' `allowed` and the last state. */
function send(
  requests: [string, number, number][],
  budget = config,
  initial?: FairBudgetState,
): { allowed: boolean[]; state: FairBudgetState | undefined } {
  let state = initial;
  const allowed = requests.map(([device, bytes, now]) => {
    const decision = fairBudgetSpend(state, budget, device, bytes, now);
    state = decision.state;
    return decision.allowed;
  });
  return { allowed, state };
}

interface SimulatedDevice {
  key: string;
  /** One update every periodMs, starting at phaseMs. */
  periodMs: number;
  phaseMs: number;
}

/**
 * Open-loop load: every device sends its updates on schedule and a refused update is dropped,
 * so the offered load stays what it is (the worst case for fairness: nobody backs off).
 * With `random`, gaps are exponential with mean periodMs (Poisson arrivals) instead of fixed.
 */
function simulate(
  devices: SimulatedDevice[],
  budget: FairBudgetConfig,
  updateBytes: number,
  durationMs: number,
  random?: () => number,
) {
  const sends: { at: number; key: string }[] = [];
  for (const device of devices) {
    const gap = () => (random ? -Math.log(1 - random()) * device.periodMs : device.periodMs);
    for (let at = device.phaseMs; at < durationMs; at += gap()) sends.push({ at, key: device.key });
  }
  sends.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
  const accepted: Record<string, number> = Object.fromEntries(devices.map((d) => [d.key, 0]));
  let state: FairBudgetState | undefined;
  for (const { at, key } of sends) {
    const decision = fairBudgetSpend(state, budget, key, updateBytes, at);
    state = decision.state;
    if (decision.allowed) accepted[key]! += updateBytes;
  }
  return accepted;
}

describe("fair byte budget", () => {
  it("allows every device all it asks while the total stays within capacity", () => {
    const { allowed } = send([
      ["a", 300, 0],
      ["b", 300, 10],
      ["a", 300, 20],
    ]);

    expect(allowed).toEqual([true, true, true]);
  });

  it("holds a greedy device to its share and says when the next interval starts", () => {
    const { state } = send([
      ["quiet", 200, 0],
      ["greedy", 400, 10],
      ["greedy", 400, 20],
    ]);

    const refused = fairBudgetSpend(state, config, "greedy", 400, 300);

    expect(refused).toMatchObject({ allowed: false, allowanceBytes: 800, retryAfterMs: 700 });
  });

  it("always has a quiet device's share available, however much a greedy device asks", () => {
    const requests: [string, number, number][] = [];
    for (let now = 0; now < 10_000; now += 10) requests.push(["greedy", 100, now]);
    for (let now = 5; now < 10_000; now += 500) requests.push(["quiet", 100, now]);
    requests.sort((a, b) => a[2] - b[2]);

    const { allowed } = send(requests);

    const quiet = allowed.filter((_, i) => requests[i]![0] === "quiet");
    expect(quiet.every(Boolean)).toBe(true);
  });

  it("carries a greedy device's overshoot as debt, so it gets a share smaller than one update exactly over time", () => {
    // Two devices flooding 400-byte updates into 1000 bytes per interval: a share of 1.25 updates each.
    const requests: [string, number, number][] = [];
    for (let now = 0; now < 40_000; now += 50) requests.push(["a", 400, now], ["b", 400, now + 1]);

    const { allowed } = send(requests);

    const acceptedBytes = (key: string) =>
      allowed.filter((ok, i) => ok && requests[i]![0] === key).length * 400;
    expect(acceptedBytes("a") / 40).toBeCloseTo(500, -1);
    expect(acceptedBytes("b") / 40).toBeCloseTo(500, -1);
  });

  it("admits a device that arrives after the capacity was spent, and charges the greedy one at the roll-over", () => {
    const { state } = send([
      ["greedy", 1_000, 0],
      ["newcomer", 400, 500],
    ]);

    const next = fairBudgetSpend(state, config, "greedy", 100, 1_000);

    expect(state!.spent.newcomer).toBe(400);
    // It spent 1000 against a final allowance of 600: 400 of debt, plus the 100 just spent.
    expect(next.state.spent.greedy).toBe(500);
  });

  it("tells a device whose debt outlasts the next interval to sit that interval out", () => {
    const { state } = send([
      ["greedy", 3_000, 0],
      ["other", 500, 10],
    ]);

    const inDebt = fairBudgetSpend(state, config, "greedy", 100, 1_200);
    const meanwhile = send(
      [
        ["other", 500, 1_300],
        ["other", 500, 2_300],
      ],
      config,
      inDebt.state,
    ).state;
    const retryAt = 1_200 + (inDebt.allowed ? 0 : inDebt.retryAfterMs);
    const honoured = fairBudgetSpend(meanwhile, config, "greedy", 100, retryAt);

    // 2500 of debt against an allowance of 600 (the other device is expected to ask 500 × 0.8
    // in the rest of the interval): refused through the interval starting at 1000; asking for
    // nothing in the next one (while the other device goes on) clears the debt.
    expect(inDebt).toMatchObject({ allowed: false, allowanceBytes: 600, retryAfterMs: 1_800 });
    expect(honoured.allowed).toBe(true);
  });

  it("makes a device in debt that keeps asking repay its debt by being refused", () => {
    const requests: [string, number, number][] = [
      ["greedy", 3_000, 0],
      ["other", 500, 10],
    ];
    for (let now = 1_000; now < 7_000; now += 100)
      requests.push(["greedy", 100, now], ["other", 100, now + 1]);

    const { allowed } = send(requests);

    const firstGreedyAccepted = requests.findIndex(([key], i) => i > 0 && key === "greedy" && allowed[i]);
    expect(requests[firstGreedyAccepted]![2]).toBe(6_000);
  });

  it("forgives a device's debt once it has asked for nothing for a whole interval", () => {
    const { state } = send([
      ["greedy", 3_000, 0],
      ["other", 500, 10],
      ["other", 100, 1_000],
    ]);

    const back = fairBudgetSpend(state, config, "greedy", 100, 2_000);

    expect(state!.spent.greedy).toBe(2_500);
    expect(back.allowed).toBe(true);
  });

  it("uses the previous interval's demand to reserve shares before devices ask in the new one", () => {
    const { state } = send([
      ["a", 500, 0],
      ["b", 500, 10],
    ]);

    expect(fairBudgetAllowances(state, config, 1_000)).toEqual({ a: 500, b: 500 });
    expect(fairBudgetSpend(state, config, "a", 600, 1_000)).toMatchObject({
      allowed: true,
      allowanceBytes: 500,
    });
  });

  it("treats device keys such as __proto__ and toString as ordinary devices", () => {
    const { allowed, state } = send([
      ["__proto__", 600, 0],
      ["toString", 600, 10],
      ["__proto__", 600, 20],
      ["toString", 100, 1_000],
    ]);

    expect(allowed).toEqual([true, true, false, true]);
    expect(Object.keys(state!.previousDemand).sort()).toEqual(["__proto__", "toString"]);
    expect(state!.spent.toString).toBe(200);
  });

  it("survives a JSON round trip, as the cluster persists it", () => {
    const { state } = send([
      ["a", 700, 0],
      ["b", 700, 10],
    ]);

    const restored = JSON.parse(JSON.stringify(state)) as FairBudgetState;

    expect(fairBudgetSpend(restored, config, "a", 10, 1_500)).toEqual(
      fairBudgetSpend(state, config, "a", 10, 1_500),
    );
  });

  it("refuses a config or request out of range, naming the field", () => {
    expect(() => fairBudgetSpend(undefined, { ...config, capacityBytes: -1 }, "a", 1, 0)).toThrow(
      /fairBudget\.capacityBytes/,
    );
    expect(() => fairBudgetSpend(undefined, { ...config, intervalMs: 0 }, "a", 1, 0)).toThrow(
      /fairBudget\.intervalMs/,
    );
    expect(() => fairBudgetSpend(undefined, config, "a", Number.NaN, 0)).toThrow(/bytes/);
  });

  describe("ten devices sharing a cluster, one sending at ten times the others' rate", () => {
    const updateBytes = 1_000;
    const durationMs = 120_000;
    const devices: SimulatedDevice[] = [
      { key: "greedy", periodMs: 20, phaseMs: 3 },
      ...Array.from({ length: 9 }, (_, i) => ({ key: `device-${i}`, periodMs: 200, phaseMs: 17 * i })),
    ];
    const offeredPerSecond = Object.fromEntries(
      devices.map((d) => [d.key, (1000 / d.periodMs) * updateBytes]),
    );

    it.each([
      { case: "everyone is limited", capacityBytes: 25_000, poisson: false },
      { case: "only the greedy device is limited", capacityBytes: 60_000, poisson: false },
      { case: "everyone is limited and sends at random times", capacityBytes: 25_000, poisson: true },
      {
        case: "only the greedy device is limited and all send at random times",
        capacityBytes: 60_000,
        poisson: true,
      },
    ])(
      "keeps Jain's index >= 0.9 among the others and the greedy device <= 1.5x its fair share when $case",
      ({ capacityBytes, poisson }) => {
        const budget = { capacityBytes, intervalMs: 1_000 };
        const fairPerSecond = maxMinFair(capacityBytes, offeredPerSecond);

        const random = poisson ? new SeededRandom(20_240_501).next : undefined;
        const accepted = simulate(devices, budget, updateBytes, durationMs, random);

        const perSecond = (key: string) => accepted[key]! / (durationMs / 1000);
        const wellBehaved = devices.filter((d) => d.key !== "greedy").map((d) => perSecond(d.key));
        expect(jainIndex(wellBehaved)).toBeGreaterThanOrEqual(0.9);
        expect(perSecond("greedy")).toBeLessThanOrEqual(1.5 * fairPerSecond.greedy!);
        // And the budget is used: the cluster accepts close to its capacity.
        const total = Object.values(accepted).reduce((sum, bytes) => sum + bytes, 0) / (durationMs / 1000);
        expect(total).toBeGreaterThanOrEqual(0.9 * Math.min(capacityBytes, 95_000));
      },
    );
  });
});
