import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type GcraState, gcraAdmit, gcraIsIdle } from "./gcra";

/** Sends at each time in `times`, returning which were admitted. */
function run(times: number[], limit: { ratePerSecond: number; burst: number }): boolean[] {
  let state: GcraState | undefined;
  return times.map((now) => {
    const decision = gcraAdmit(state, limit, now);
    state = decision.state;
    return decision.allowed;
  });
}

describe("GCRA (virtual scheduling)", () => {
  it("admits a burst of `burst` back-to-back requests from idle, then refuses", () => {
    const admitted = run([0, 0, 0, 0], { ratePerSecond: 1, burst: 3 });

    expect(admitted).toEqual([true, true, true, false]);
  });

  it("tells a refused request exactly when it would be admitted, and admits it then", () => {
    const limit = { ratePerSecond: 4, burst: 1 };
    const first = gcraAdmit(undefined, limit, 1000);

    const refused = gcraAdmit(first.state, limit, 1100);
    const retried = gcraAdmit(refused.state, limit, 1100 + (refused.allowed ? 0 : refused.retryAfterMs));

    expect(refused).toEqual({ allowed: false, retryAfterMs: 150, state: first.state });
    expect(retried.allowed).toBe(true);
  });

  it("rounds retryAfterMs up to whole ms, and a retry after it is always admitted", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 10_000 }),
        (ratePerSecond, burst, start) => {
          const limit = { ratePerSecond, burst };
          let state: GcraState | undefined;
          let now = start;
          for (let i = 0; i < 50; i++) {
            const decision = gcraAdmit(state, limit, now);
            if (decision.allowed) {
              state = decision.state;
              continue;
            }
            expect(Number.isInteger(decision.retryAfterMs)).toBe(true);
            now += decision.retryAfterMs;
            expect(gcraAdmit(state, limit, now).allowed).toBe(true);
          }
        },
      ),
    );
  });

  it("leaves the state unchanged on a refusal, so refused requests cost nothing", () => {
    const limit = { ratePerSecond: 1, burst: 1 };
    const { state } = gcraAdmit(undefined, limit, 0);

    const refused = gcraAdmit(state, limit, 500);

    expect(refused.state).toBe(state);
  });

  it("holds a device that sends as fast as it can to ratePerSecond over the long run, plus its burst", () => {
    const times = Array.from({ length: 10_000 }, (_, i) => i); // one request per ms for 10 s

    const admitted = run(times, { ratePerSecond: 20, burst: 5 }).filter(Boolean).length;

    expect(admitted).toBe(5 + 10 * 20 - 1);
  });

  it("charges a request of cost n as n cells", () => {
    const limit = { ratePerSecond: 10, burst: 4 };

    const first = gcraAdmit(undefined, limit, 0, 3);
    const second = gcraAdmit(first.state, limit, 0, 2);

    expect(first.state).toEqual({ tat: 300 });
    expect(second).toMatchObject({ allowed: false, retryAfterMs: 100 });
  });

  it("restores the full burst after an idle period, when the state can be dropped", () => {
    const limit = { ratePerSecond: 2, burst: 2 };
    let state = gcraAdmit(undefined, limit, 0).state;
    state = gcraAdmit(state, limit, 0).state;

    expect(gcraIsIdle(state, 999)).toBe(false);
    expect(gcraIsIdle(state, 1000)).toBe(true);
    expect(run([1000, 1000, 1000], limit)).toEqual([true, true, false]);
  });

  it("applies a new rate from the next request on, without forgetting the debt already owed", () => {
    const { state } = gcraAdmit(undefined, { ratePerSecond: 1, burst: 1 }, 0); // tat = 1000

    const atFasterRate = gcraAdmit(state, { ratePerSecond: 100, burst: 1 }, 500);

    expect(atFasterRate).toMatchObject({ allowed: false, retryAfterMs: 500 });
  });

  it("treats a clock that steps backwards as no time elapsed", () => {
    const limit = { ratePerSecond: 1, burst: 1 };
    const { state } = gcraAdmit(undefined, limit, 10_000);

    expect(gcraAdmit(state, limit, 5_000)).toMatchObject({ allowed: false, retryAfterMs: 6_000 });
  });

  it("never admits more than burst + rate × span cells in any span of time", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 200 }),
        (ratePerSecond, burst, gaps) => {
          let now = 0;
          const times = gaps.map((gap) => (now += gap));
          const admitted = run(times, { ratePerSecond, burst });
          const admittedAt = times.filter((_, i) => admitted[i]);
          for (let i = 0; i < admittedAt.length; i++) {
            for (let j = i; j < admittedAt.length; j++) {
              const span = admittedAt[j]! - admittedAt[i]!;
              expect(j - i + 1).toBeLessThanOrEqual(burst + (span * ratePerSecond) / 1000 + 1e-9);
            }
          }
        },
      ),
    );
  });

  it("refuses a limit or cost that could never admit anything, naming the field", () => {
    expect(() => gcraAdmit(undefined, { ratePerSecond: 0, burst: 1 }, 0)).toThrow(/gcra\.ratePerSecond/);
    expect(() => gcraAdmit(undefined, { ratePerSecond: 1, burst: 0.5 }, 0)).toThrow(/gcra\.burst/);
    expect(() => gcraAdmit(undefined, { ratePerSecond: 1, burst: 2 }, 0, 3)).toThrow(/exceeds burst/);
    expect(() => gcraAdmit(undefined, { ratePerSecond: 1, burst: 2 }, 0, 0)).toThrow(/cost/);
  });
});
