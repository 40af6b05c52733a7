/**
 * The rate at which a tier drains its backlog (updates acknowledged upstream per second),
 * as an exponentially decayed count (Cohen & Strauss, "Maintaining Time-Decaying Stream
 * Aggregates", PODS 2003): each drained item weighs e^(−age/τ), so the decayed count of a
 * steady rate λ observed for a time T is λτ(1 − e^(−T/τ)). Dividing by τ(1 − e^(−T/τ))
 * removes the start-up bias, as Adam does for its moments (Kingma & Ba, ICLR 2015, §3): the
 * first estimate is the plain mean since the start, and old flushes fade with half-life h
 * (τ = h / ln 2). Reading the rate decays it to `now`, so a tier whose parent stopped
 * acknowledging sees its drain rate fall even though no flush reports it.
 *
 * When the backlog never builds, what drains is what arrives: the estimate then tracks load
 * rather than capacity, which is why shared/congestion/overload.ts allows a minimum backlog.
 */
export interface DrainState {
  /** Σ items × e^(−(at − tᵢ)/τ) over the flushes observed. */
  decayedCount: number;
  /** When decayedCount was last brought up to date, ms. */
  at: number;
  /** When observation started, ms: the bias correction's T is measured from here. */
  since: number;
}

export const DEFAULT_DRAIN_HALF_LIFE_MS = 10_000;

/** An estimator with nothing observed yet, starting at `now` (the tier's start, or its rebuild after eviction). */
export function drainStart(now: number): DrainState {
  return { decayedCount: 0, at: now, since: now };
}

/** Records `items` drained at `now` (e.g. the updates in a flush the parent acknowledged). */
export function observeDrain(
  state: DrainState,
  items: number,
  now: number,
  halfLifeMs = DEFAULT_DRAIN_HALF_LIFE_MS,
): DrainState {
  if (!(items >= 0 && Number.isFinite(items))) {
    throw new RangeError(`drained items must be a finite number >= 0, got ${items}`);
  }
  return {
    decayedCount: decayedTo(state, now, halfLifeMs) + items,
    at: Math.max(now, state.at),
    since: state.since,
  };
}

/** Items drained per second, as of `now`. 0 until any time has passed. */
export function drainRate(state: DrainState, now: number, halfLifeMs = DEFAULT_DRAIN_HALF_LIFE_MS): number {
  const tauMs = timeConstant(halfLifeMs);
  const elapsedMs = now - state.since;
  if (!(elapsedMs > 0)) return 0;
  // τ(1 − e^(−T/τ)), in seconds; expm1 keeps it exact for T ≪ τ.
  const effectiveSeconds = (tauMs * -Math.expm1(-elapsedMs / tauMs)) / 1000;
  return decayedTo(state, now, halfLifeMs) / effectiveSeconds;
}

function decayedTo(state: DrainState, now: number, halfLifeMs: number): number {
  // A clock that steps backwards counts as no time elapsed.
  return state.decayedCount * Math.exp(-Math.max(0, now - state.at) / timeConstant(halfLifeMs));
}

function timeConstant(halfLifeMs: number): number {
  if (!(halfLifeMs > 0 && Number.isFinite(halfLifeMs))) {
    throw new RangeError(`drain halfLifeMs must be a finite number > 0, got ${halfLifeMs}`);
  }
  return halfLifeMs / Math.LN2;
}
