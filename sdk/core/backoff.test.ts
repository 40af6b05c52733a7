import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF, retryDelay, withRetries } from "./backoff";
import { FedgeApiError, FedgeNetworkError } from "./errors";
import { FakeClock, sequence } from "./testing/fake-clock";

const WINDOW = { baseMs: 1000, capMs: 8000 };

describe("retryDelay (full jitter)", () => {
  it("draws uniformly from a window that doubles with each attempt up to the cap", () => {
    // Prepare: the same draw, 0.5, for every attempt.
    const half = () => 0.5;

    // Execute
    const delays = [0, 1, 2, 3, 4, 5].map((attempt) => retryDelay(attempt, WINDOW, half));

    // Assert: half of 1 s, 2 s, 4 s, 8 s, then the 8 s cap.
    expect(delays).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  });

  it("spans the whole window, from 0 to just under its top", () => {
    expect(retryDelay(2, WINDOW, () => 0)).toBe(0);
    expect(retryDelay(2, WINDOW, () => 0.999)).toBe(3996);
  });

  it("never retries sooner than Retry-After, and keeps a longer jittered delay", () => {
    expect(retryDelay(0, WINDOW, () => 0.5, 3000)).toBe(3000);
    expect(retryDelay(3, WINDOW, () => 0.5, 3000)).toBe(4000);
  });
});

describe("withRetries", () => {
  const context = (clock: FakeClock, random: () => number, overrides = {}) => ({
    backoff: { ...DEFAULT_BACKOFF, ...WINDOW, ...overrides },
    clock,
    random,
  });

  it("retries network errors and 5xx with jittered sleeps until the attempt succeeds", async () => {
    // Prepare: two failures, then success.
    const clock = new FakeClock();
    const failures = [
      new FedgeNetworkError(new TypeError("offline")),
      new FedgeApiError(503, "http_503", "busy"),
    ];
    const attempt = async () => {
      const failure = failures.shift();
      if (failure) throw failure;
      return "done";
    };

    // Execute
    const result = await withRetries(attempt, context(clock, sequence(0.25, 0.75)));

    // Assert: 0.25 × 1 s, then 0.75 × 2 s.
    expect(result).toBe("done");
    expect(clock.sleeps).toEqual([250, 1500]);
  });

  it("throws a 4xx at once, without sleeping", async () => {
    const clock = new FakeClock();
    const refusal = new FedgeApiError(409, "stale_update", "too old");
    await expect(withRetries(() => Promise.reject(refusal), context(clock, sequence()))).rejects.toBe(
      refusal,
    );
    expect(clock.sleeps).toEqual([]);
  });

  it("retries 429 no sooner than its Retry-After", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const attempt = async () => {
      if (calls++ === 0) throw new FedgeApiError(429, "http_429", "slow down", 7000);
      return calls;
    };
    await withRetries(attempt, context(clock, sequence(0.1)));
    expect(clock.sleeps).toEqual([7000]);
  });

  it("gives up with the last error after maxAttempts attempts", async () => {
    const clock = new FakeClock();
    const outage = new FedgeApiError(503, "http_503", "down");
    const run = withRetries(
      () => Promise.reject(outage),
      context(clock, sequence(0.5, 0.5), { maxAttempts: 3 }),
    );
    await expect(run).rejects.toBe(outage);
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it("gives up at once when Retry-After would outlast maxElapsedMs", async () => {
    const clock = new FakeClock();
    const outage = new FedgeApiError(503, "http_503", "down", 120_000);
    const run = withRetries(
      () => Promise.reject(outage),
      context(clock, sequence(0.5), { maxElapsedMs: 60_000 }),
    );
    await expect(run).rejects.toBe(outage);
    expect(clock.sleeps).toEqual([]);
  });
});
