/**
 * Load shedding from backlog and drain rate. The allowed backlog follows measured load by
 * Little's law (Little, "A Proof for the Queuing Formula: L = λW", Operations Research 9(3),
 * 1961): a queue drained at λ items/s whose items should wait at most W holds at most L = λW.
 * So a tier sheds when
 *
 *   backlog ≥ allowedBacklog = max(minBacklog, drainPerSecond × maxDelayMs / 1000)
 *
 * and the threshold rises and falls with the drain it measures (shared/congestion/drain-rate.ts).
 * `minBacklog` is what a tier accepts whatever its measured drain: at start-up nothing has
 * drained yet, and under light load the drain is only the arrivals; set it at least to a
 * flush's batch size, so a tier can always fill the batch that drains it.
 *
 * A shed request is told to come back after the expected queueing delay D = backlog / drain,
 * with full jitter (Brooker, "Exponential Backoff and Jitter", AWS Architecture Blog, 2015):
 * a whole number of seconds (RFC 9110 §10.2.3) drawn uniformly from [m, 2m], where
 * m = D rounded up and clamped to [minRetryAfterSeconds, maxRetryAfterSeconds], and the draw
 * capped at maxRetryAfterSeconds. The retries of the devices shed now are so spread over about
 * as long as it takes to drain what is queued, rather than all returning together.
 */
export interface OverloadInput {
  /** Items accepted and not yet drained. */
  backlog: number;
  /** Measured drain, items per second. */
  drainPerSecond: number;
  /** Target queueing delay W, ms. */
  maxDelayMs: number;
  /** Backlog allowed whatever the measured drain. */
  minBacklog: number;
  /** Floor of Retry-After, s; default 1. */
  minRetryAfterSeconds?: number;
  /** Cap of Retry-After, s; default 60. */
  maxRetryAfterSeconds?: number;
}

export type OverloadDecision =
  | { shed: false; allowedBacklog: number }
  | {
      shed: true;
      allowedBacklog: number;
      /** backlog / drain, capped at maxRetryAfterSeconds (also when nothing drains and it is unbounded). */
      expectedDelayMs: number;
      retryAfterSeconds: number;
    };

/** `random` draws uniformly from [0, 1), e.g. Math.random; tests pass a fixed one. */
export function overloadDecision(input: OverloadInput, random: () => number): OverloadDecision {
  validateOverloadInput(input);
  const { backlog, drainPerSecond, maxDelayMs, minBacklog } = input;
  const minRetry = input.minRetryAfterSeconds ?? 1;
  const maxRetry = input.maxRetryAfterSeconds ?? 60;
  const allowedBacklog = Math.max(minBacklog, (drainPerSecond * maxDelayMs) / 1000);
  if (backlog < allowedBacklog) return { shed: false, allowedBacklog };
  // Nothing draining: the queue's delay is unbounded, so send the device away for longest.
  const expectedDelayMs = drainPerSecond > 0 ? (backlog / drainPerSecond) * 1000 : Number.POSITIVE_INFINITY;
  const m = Math.min(maxRetry, Math.max(minRetry, Math.ceil(expectedDelayMs / 1000)));
  const draw = Math.min(m, Math.floor(random() * (m + 1)));
  return {
    shed: true,
    allowedBacklog,
    expectedDelayMs: Math.min(expectedDelayMs, maxRetry * 1000),
    retryAfterSeconds: Math.min(maxRetry, m + draw),
  };
}

/** Throws a RangeError naming the first field out of range. */
export function validateOverloadInput(input: OverloadInput): void {
  const { backlog, drainPerSecond, maxDelayMs, minBacklog } = input;
  const minRetry = input.minRetryAfterSeconds ?? 1;
  const maxRetry = input.maxRetryAfterSeconds ?? 60;
  const check = (ok: boolean, field: string, rule: string, value: number) => {
    if (!ok) throw new RangeError(`overload.${field} must be ${rule}, got ${value}`);
  };
  check(backlog >= 0 && Number.isFinite(backlog), "backlog", "a finite number >= 0", backlog);
  check(
    drainPerSecond >= 0 && Number.isFinite(drainPerSecond),
    "drainPerSecond",
    "a finite number >= 0",
    drainPerSecond,
  );
  check(maxDelayMs > 0 && Number.isFinite(maxDelayMs), "maxDelayMs", "a finite number > 0", maxDelayMs);
  // Below 1 an idle tier would shed everything, and so never drain anything to measure.
  check(minBacklog >= 1 && Number.isFinite(minBacklog), "minBacklog", "a finite number >= 1", minBacklog);
  // Retry-After: 0 would bring the shed request straight back.
  check(Number.isSafeInteger(minRetry) && minRetry >= 1, "minRetryAfterSeconds", "an integer >= 1", minRetry);
  check(
    Number.isSafeInteger(maxRetry) && maxRetry >= minRetry,
    "maxRetryAfterSeconds",
    `an integer >= minRetryAfterSeconds (${minRetry})`,
    maxRetry,
  );
}
