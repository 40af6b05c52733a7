/**
 * Central differential privacy for a published version (DP-FedAvg, McMahan et al.,
 * ICLR 2018): the round's sum of clipped updates gets N(0, (σC)²) per coordinate and is
 * divided by a fixed denominator, the round size the task asks for, so that the step
 * itself reveals no count. The accountant (./rdp.ts) charges each version at noise
 * multiplier σ/b, where b is the most updates one device has in the round (each moves
 * the sum by at most C, so the sensitivity is bC); composition adds the RDP of versions.
 */
import type { TaskConfig } from "../protocol/task-config";
import { addGaussianNoise } from "./gaussian";
import { DEFAULT_ORDERS, epsilonFromRdp, sampledGaussianRdp } from "./rdp";
import type { Uniform } from "./uniform";

export type CentralDp = Extract<TaskConfig["privacy"]["dp"], { kind: "central" }>;
/** Central or distributed: what the accountant needs is the same. */
export type AccountedDp = Exclude<TaskConfig["privacy"]["dp"], { kind: "off" }>;

/** What the task has spent: RDP at each of DEFAULT_ORDERS, summed over its private versions. */
export interface PrivacySpend {
  rdp: number[];
  versions: number;
}

export const NOTHING_SPENT: PrivacySpend = { rdp: DEFAULT_ORDERS.map(() => 0), versions: 0 };

/** ε (at the task's δ) of what has been spent. */
export function epsilonOf(dp: AccountedDp, spent: PrivacySpend): number {
  return spent.versions === 0 ? 0 : epsilonFromRdp(DEFAULT_ORDERS, spent.rdp, dp.delta).epsilon;
}

/** The spend after one more version in which one device has at most `bound` updates, and its ε. */
export function charge(
  dp: AccountedDp,
  spent: PrivacySpend,
  bound: number,
): { spent: PrivacySpend; epsilon: number } {
  if (!(Number.isInteger(bound) && bound >= 1))
    throw new RangeError(`bound must be an integer ≥ 1, got ${bound}`);
  const step = stepRdp(dp.samplingRate, dp.noiseMultiplier / bound);
  const next = { rdp: spent.rdp.map((r, i) => r + step[i]!), versions: spent.versions + 1 };
  return { spent: next, epsilon: epsilonOf(dp, next) };
}

/**
 * One application's RDP at DEFAULT_ORDERS, remembered for the last few (q, σ): the task view
 * asks whether the budget has room at every read, and the fractional orders' series is not free.
 */
const steps = new Map<string, number[]>();
function stepRdp(q: number, sigma: number): number[] {
  const key = `${q}:${sigma}`;
  let step = steps.get(key);
  if (!step) {
    step = sampledGaussianRdp(q, sigma, DEFAULT_ORDERS);
    if (steps.size >= 32) steps.delete(steps.keys().next().value!);
    steps.set(key, step);
  }
  return step;
}

/** True when the budget has no room for one more version (with one update per device). */
export function budgetSpent(dp: AccountedDp, spent: PrivacySpend): boolean {
  return dp.epsilonBudget !== undefined && charge(dp, spent, 1).epsilon > dp.epsilonBudget;
}

/**
 * The updates a version is expected to hold, its fixed denominator: FedBuff's buffer
 * size, or a synchronous round's target. A round that closes with fewer moves less.
 */
export function roundSize(config: TaskConfig): number {
  return config.aggregation.mode === "async" ? config.aggregation.bufferSize : config.round.targetUpdates;
}

/**
 * With distributed DP, the std of the discrete Gaussian each device adds (in update units):
 * σC/√m, so that m of them sum to N(0, (σC)²).
 */
export function deviceNoiseStd(config: TaskConfig): number {
  const { dp, secureAggregation } = config.privacy;
  if (dp.kind !== "distributed" || secureAggregation.kind === "off") return 0;
  return (dp.noiseMultiplier * secureAggregation.clipNorm) / Math.sqrt(roundSize(config));
}

/** (Σ clipped updates + N(0, (σC)²)) / roundSize: the private pseudo-gradient of a version. */
export function privateMean(
  sum: Float32Array,
  dp: CentralDp,
  denominator: number,
  uniform?: Uniform,
): Float32Array {
  const out = Float32Array.from(sum);
  addGaussianNoise(out, dp.noiseMultiplier * dp.clipNorm, uniform);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / denominator;
  return out;
}

/**
 * The smallest noise multiplier (to 0.1%) with which `versions` versions at sampling rate
 * q spend at most ε at δ, one update per device per version: what to set noiseMultiplier
 * to for a budget that should last that many versions.
 */
export function calibrateNoise(o: {
  epsilon: number;
  delta: number;
  samplingRate: number;
  versions: number;
}): number {
  if (!(o.epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${o.epsilon}`);
  if (!(Number.isInteger(o.versions) && o.versions >= 1))
    throw new RangeError(`versions must be an integer ≥ 1, got ${o.versions}`);
  const spend = (sigma: number) => {
    const step = sampledGaussianRdp(o.samplingRate, sigma, DEFAULT_ORDERS);
    return epsilonFromRdp(
      DEFAULT_ORDERS,
      step.map((r) => o.versions * r),
      o.delta,
    ).epsilon;
  };
  let [lo, hi] = [0.05, 0.05];
  while (spend(hi) > o.epsilon) {
    hi *= 2;
    if (hi > 1e4)
      throw new RangeError(
        `no noise multiplier up to 10⁴ keeps ${o.versions} versions within ε = ${o.epsilon}`,
      );
  }
  if (hi === lo) return lo;
  lo = hi / 2;
  while ((hi - lo) / hi > 1e-3) {
    const mid = (lo + hi) / 2;
    if (spend(mid) > o.epsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}
