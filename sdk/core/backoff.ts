/**
 * Retry delays: exponential backoff with full jitter ("Exponential Backoff And Jitter",
 * AWS Architecture Blog, 2015): sleep = random(0, min(cap, base · 2^attempt)). Full jitter
 * spreads a crowd of devices that failed together (an outage, a deploy) over the whole
 * window instead of having them retry in lockstep.
 */
import type { Clock } from "./clock";
import { FedgeApiError, isTransient } from "./errors";

export interface BackoffOptions {
  /** The first retry's window, in ms. */
  baseMs: number;
  /** The largest window, in ms. */
  capMs: number;
  /** Upload attempts per update per flush; then the update stays queued for the next flush. */
  maxAttempts: number;
  /** How long one flush keeps retrying one update, in ms; then it stays queued for the next flush. */
  maxElapsedMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 1_000,
  capMs: 5 * 60_000,
  maxAttempts: 8,
  maxElapsedMs: 15 * 60_000,
};

/**
 * The delay before retry number `attempt` (0 for the first retry). `random` returns a
 * number in [0, 1). A server's Retry-After, when given, is a floor: the device never comes
 * back sooner than it was asked to.
 */
export function retryDelay(
  attempt: number,
  options: Pick<BackoffOptions, "baseMs" | "capMs">,
  random: () => number,
  retryAfterMs?: number,
): number {
  const window = Math.min(options.capMs, options.baseMs * 2 ** attempt);
  const jittered = random() * window;
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

export interface RetryContext {
  backoff: BackoffOptions;
  clock: Clock;
  random: () => number;
}

/**
 * Runs `attempt` until it succeeds, fails for good (anything but a network error, 408, 429
 * or 5xx), or the bounds are reached; then the last error is thrown. A Retry-After that
 * would outlast the time left is not waited out: the caller is told at once.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  { backoff, clock, random }: RetryContext,
): Promise<T> {
  const started = clock.now();
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || n + 1 >= backoff.maxAttempts) throw error;
      const retryAfterMs = error instanceof FedgeApiError ? error.retryAfterMs : undefined;
      const delay = retryDelay(n, backoff, random, retryAfterMs);
      if (clock.now() - started + delay > backoff.maxElapsedMs) throw error;
      await clock.sleep(delay);
    }
  }
}
