/**
 * Per-device rate limiting with the Generic Cell Rate Algorithm in its virtual-scheduling
 * form (ITU-T Recommendation I.371, "Traffic control and congestion control in B-ISDN",
 * Annex A; the form the redis-cell module and Go's throttled use). The whole state is one
 * number, the theoretical arrival time (TAT): when the next request would be due if the
 * device sent at exactly `ratePerSecond`. A request is admitted when it arrives no earlier
 * than TAT − τ, where τ = (burst − 1) × T is the burst tolerance and T = 1000 / rate the
 * emission interval; admitting `cost` cells moves TAT by cost × T.
 *
 * Unlike a token bucket, nothing needs refilling: an idle device's TAT simply falls behind
 * the clock, so a state with `tat <= now` is the same as no state and may be dropped.
 */
export interface GcraState {
  /** Theoretical arrival time of the next cell, ms on the caller's clock. */
  tat: number;
}

export interface GcraLimit {
  /** Sustained cells per second; may change between calls (shared/congestion/aimd.ts sets it). */
  ratePerSecond: number;
  /** Cells admitted back to back from an idle state; at least 1. */
  burst: number;
}

export type GcraDecision =
  | { allowed: true; state: GcraState }
  | { allowed: false; retryAfterMs: number; state: GcraState };

export function gcraAdmit(
  state: GcraState | undefined,
  limit: GcraLimit,
  now: number,
  cost = 1,
): GcraDecision {
  validateGcraLimit(limit);
  if (!(cost > 0 && Number.isFinite(cost))) throw new RangeError(`gcra cost must be > 0, got ${cost}`);
  if (cost > limit.burst) {
    // Such a request would be refused forever: a caller's mistake, not a device's.
    throw new RangeError(`gcra cost ${cost} exceeds burst ${limit.burst}: it could never be admitted`);
  }
  const interval = 1000 / limit.ratePerSecond;
  const tat = Math.max(state?.tat ?? now, now);
  const newTat = tat + cost * interval;
  // Earliest arrival that keeps newTat within the burst tolerance: newTat − (τ + T), written
  // so that it is exactly tat when cost = burst (a retry at allowAt must not miss by rounding).
  const allowAt = tat - (limit.burst - cost) * interval;
  if (now < allowAt) {
    // Whole ms, rounded up so that a retry at now + retryAfterMs is admitted despite rounding.
    let retryAfterMs = Math.ceil(allowAt - now);
    while (now + retryAfterMs < allowAt) retryAfterMs += 1;
    // A refusal needs a state in debt (cost <= burst admits from idle), so `state` is defined here.
    return { allowed: false, retryAfterMs, state: state ?? { tat } };
  }
  return { allowed: true, state: { tat: newTat } };
}

/** True when the state holds no debt, so storing it is pointless (the full burst is available). */
export function gcraIsIdle(state: GcraState | undefined, now: number): boolean {
  return state === undefined || state.tat <= now;
}

/** Throws a RangeError naming the first field out of range; call it when the limit is configured. */
export function validateGcraLimit({ ratePerSecond, burst }: GcraLimit): void {
  if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) {
    throw new RangeError(`gcra.ratePerSecond must be a finite number > 0, got ${ratePerSecond}`);
  }
  if (!(burst >= 1 && Number.isFinite(burst))) {
    throw new RangeError(`gcra.burst must be a finite number >= 1, got ${burst}`);
  }
}
