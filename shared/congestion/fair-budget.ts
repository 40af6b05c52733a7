/**
 * A max-min fair byte budget per interval across a cluster's active devices
 * (shared/congestion/fair-share.ts). Each request is charged against the device's
 * allowance: its max-min fair share of `capacityBytes` given every active device's expected
 * demand for the interval, which is what it asked so far in this interval plus its previous
 * interval's demand pro rata for the time left (refused bytes count: demand is what a device
 * asks, not what it gets). Early in an interval the previous one reserves each device's share;
 * as the interval runs out, what devices actually asked takes over, so capacity a quiet device
 * did not use this time goes to the others.
 *
 * - A device whose demand is under the water level is allowed all of it, so a quiet device
 *   always has its share, however much a greedy one asks.
 * - A greedy device is held to the level. Its last request may overshoot its allowance (an
 *   update is not divisible); the overshoot is carried into the next interval as debt, as
 *   deficit round robin carries its counter (Shreedhar & Varghese, SIGCOMM 1995), so over
 *   many intervals it gets its share exactly, even when the share is less than one request.
 * - A device that appears mid-interval is admitted against its share even if the others
 *   spent the capacity before it came; the interval then overshoots, and at the roll-over
 *   the others' allowances are recomputed with it included, so the overshoot becomes their debt.
 * - A device's debt is forgiven once it has asked for nothing for a whole interval, when its
 *   share went to the others; this also bounds the state to the devices of the last two intervals.
 *
 * Intervals are aligned to multiples of intervalMs. `capacityBytes` may change between calls
 * (it can follow the measured drain, shared/congestion/drain-rate.ts); debts are computed with the
 * capacity given at the roll-over. Choose intervalMs at least as long as a well-behaved
 * device's gap between uploads, or its share is not reserved in the intervals it skips.
 */
import { maxMinFair } from "./fair-share";

export interface FairBudgetConfig {
  /** Bytes the cluster accepts per interval across all devices. */
  capacityBytes: number;
  intervalMs: number;
}

export interface FairBudgetState {
  /** Start of the current interval, a multiple of intervalMs. */
  intervalStart: number;
  /** Bytes each device asked for in this interval, granted or not. */
  demand: Record<string, number>;
  /** Bytes charged to each device in this interval, including debt carried from the last. */
  spent: Record<string, number>;
  /** Each device's demand in the previous interval: who is active, and how much it wants. */
  previousDemand: Record<string, number>;
}

export type FairBudgetDecision =
  | { allowed: true; allowanceBytes: number; state: FairBudgetState }
  | { allowed: false; allowanceBytes: number; retryAfterMs: number; state: FairBudgetState };

/** Charges `bytes` to `deviceKey` if its fair allowance has room. The state changes either way (demand is recorded). */
export function fairBudgetSpend(
  state: FairBudgetState | undefined,
  config: FairBudgetConfig,
  deviceKey: string,
  bytes: number,
  now: number,
): FairBudgetDecision {
  validateFairBudgetConfig(config);
  if (!(bytes >= 0 && Number.isFinite(bytes))) {
    throw new RangeError(`fair budget bytes must be a finite number >= 0, got ${bytes}`);
  }
  const current = rollOver(state, config, now);
  const demand = { ...current.demand, [deviceKey]: own(current.demand, deviceKey) + bytes };
  const allowanceBytes = allowances({ ...current, demand }, config, remainingFraction(current, config, now))[
    deviceKey
  ]!;
  const spentBytes = own(current.spent, deviceKey);
  if (spentBytes < allowanceBytes || bytes === 0) {
    const spent = { ...current.spent, [deviceKey]: spentBytes + bytes };
    return { allowed: true, allowanceBytes, state: { ...current, demand, spent } };
  }
  // Refused for the rest of this interval. If the debt it carries over would also outlast the
  // next interval's allowance, the device is told to sit that one out too: asking for nothing
  // for a whole interval clears its debt, so a device that honours Retry-After is not refused
  // again, and one that does not repays the debt by being refused.
  const sitOut = allowanceBytes > 0 && spentBytes - allowanceBytes >= allowanceBytes;
  const retryAfterMs = current.intervalStart + config.intervalMs * (sitOut ? 2 : 1) - now;
  return { allowed: false, allowanceBytes, retryAfterMs, state: { ...current, demand } };
}

/** Every active device's allowance in the current interval (for metrics and admin views). */
export function fairBudgetAllowances(
  state: FairBudgetState | undefined,
  config: FairBudgetConfig,
  now: number,
): Record<string, number> {
  validateFairBudgetConfig(config);
  const current = rollOver(state, config, now);
  return allowances(current, config, remainingFraction(current, config, now));
}

/** Throws a RangeError naming the first field out of range; call it when the config is set. */
export function validateFairBudgetConfig({ capacityBytes, intervalMs }: FairBudgetConfig): void {
  if (!(capacityBytes >= 0 && Number.isFinite(capacityBytes))) {
    throw new RangeError(`fairBudget.capacityBytes must be a finite number >= 0, got ${capacityBytes}`);
  }
  if (!(intervalMs > 0 && Number.isFinite(intervalMs))) {
    throw new RangeError(`fairBudget.intervalMs must be a finite number > 0, got ${intervalMs}`);
  }
}

/**
 * Allowances given each device's expected demand for the whole interval: what it asked so far
 * plus its previous interval's demand pro rata for the time left (at the roll-over, `remaining`
 * is 0 and the demand is what it asked).
 */
function allowances(
  state: FairBudgetState,
  config: FairBudgetConfig,
  remaining: number,
): Record<string, number> {
  const expected = new Map<string, number>();
  for (const [key, bytes] of Object.entries(state.previousDemand)) expected.set(key, bytes * remaining);
  for (const [key, bytes] of Object.entries(state.demand)) {
    expected.set(key, bytes + (expected.get(key) ?? 0));
  }
  return maxMinFair(config.capacityBytes, Object.fromEntries(expected));
}

/** The fraction of the current interval still to come, in (0, 1]. */
function remainingFraction(state: FairBudgetState, config: FairBudgetConfig, now: number): number {
  return Math.min(1, (state.intervalStart + config.intervalMs - now) / config.intervalMs);
}

/** The state for the interval containing `now`; a clock that steps backwards stays in the current one. */
function rollOver(
  state: FairBudgetState | undefined,
  config: FairBudgetConfig,
  now: number,
): FairBudgetState {
  const intervalStart = Math.floor(now / config.intervalMs) * config.intervalMs;
  if (state === undefined) return { intervalStart, demand: {}, spent: {}, previousDemand: {} };
  if (intervalStart <= state.intervalStart) return state;
  if (intervalStart > state.intervalStart + config.intervalMs) {
    return { intervalStart, demand: {}, spent: {}, previousDemand: {} };
  }
  const final = allowances(state, config, 0);
  // Only a device that asked for something in the interval ending keeps its debt.
  const debts = Object.keys(state.demand)
    .map((key): [string, number] => [key, own(state.spent, key) - own(final, key)])
    .filter(([, debt]) => debt > 0);
  return { intervalStart, demand: {}, spent: Object.fromEntries(debts), previousDemand: state.demand };
}

/** record[key] if it is the record's own property, else 0 (so "__proto__" or "toString" read as devices). */
function own(record: Record<string, number>, key: string): number {
  return Object.hasOwn(record, key) ? record[key]! : 0;
}
