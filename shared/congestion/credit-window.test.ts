import { describe, expect, it } from "vitest";
import {
  type CreditWindowConfig,
  type CreditWindowState,
  creditExpire,
  creditGrant,
  creditOutstanding,
  creditRelease,
  creditSpend,
} from "./credit-window";

const config: CreditWindowConfig = { window: 2, creditLeaseMs: 60_000, inFlightLeaseMs: 10_000 };

/** Spends `id`, failing the test on a refusal. */
function spent(state: CreditWindowState | undefined, id: string, now: number): CreditWindowState {
  const result = creditSpend(state, config, id, now);
  if (!result.ok) throw new Error(`spend ${id} refused: ${result.reason}`);
  return result.state;
}

describe("credit window", () => {
  it("grants a window of credits at check-in", () => {
    expect(creditGrant(undefined, config, 0)).toEqual({ credits: 2, creditsExpireAt: 60_000, inFlight: [] });
  });

  it("refuses an upload from a device that never checked in", () => {
    expect(creditSpend(undefined, config, "u1", 0)).toMatchObject({ ok: false, reason: "no_credit" });
  });

  it("spends one credit per upload and refuses once the window is in flight", () => {
    let state = creditGrant(undefined, config, 0);
    state = spent(state, "u1", 100);
    state = spent(state, "u2", 200);

    const third = creditSpend(state, config, "u3", 300);

    expect(state.credits).toBe(0);
    expect(state.inFlight.map((upload) => upload.id)).toEqual(["u1", "u2"]);
    expect(third).toMatchObject({ ok: false, reason: "no_credit" });
  });

  it("does not re-grant places still in flight, and re-grants them once acknowledged upstream", () => {
    let state = spent(spent(creditGrant(undefined, config, 0), "u1", 100), "u2", 200);

    const whilePending = creditGrant(state, config, 300);
    state = creditRelease(whilePending, "u1");
    const afterAck = creditGrant(state, config, 400);

    expect(whilePending.credits).toBe(0);
    expect(afterAck.credits).toBe(1);
    expect(afterAck.inFlight.map((upload) => upload.id)).toEqual(["u2"]);
  });

  it("charges nothing for a retry of an upload already in flight", () => {
    const state = spent(creditGrant(undefined, config, 0), "u1", 100);

    const retry = creditSpend(state, config, "u1", 150);

    expect(retry).toEqual({ ok: true, duplicate: true, state });
  });

  it("lets unspent credits lapse after creditLeaseMs, telling the device to check in again", () => {
    const state = creditGrant(undefined, config, 0);

    expect(creditSpend(state, config, "u1", 59_999).ok).toBe(true);
    expect(creditSpend(state, config, "u1", 60_000)).toMatchObject({ ok: false, reason: "credits_expired" });
  });

  it("frees the place of an upload whose acknowledgement never came after inFlightLeaseMs", () => {
    const state = spent(spent(creditGrant(undefined, config, 0), "u1", 1_000), "u2", 5_000);

    const { state: after, expired } = creditExpire(state, 11_000);

    expect(expired).toEqual(["u1"]);
    expect(after.inFlight.map((upload) => upload.id)).toEqual(["u2"]);
    expect(creditGrant(state, config, 11_000).credits).toBe(1);
  });

  it("leaves nothing outstanding for a device that vanished, so its state can be dropped", () => {
    const state = spent(creditGrant(undefined, config, 0), "u1", 1_000);

    expect(creditOutstanding(state, 1_000)).toBe(2);
    expect(creditOutstanding(state, 60_000)).toBe(0);
  });

  it("keeps credits granted before the window shrank, and grants the smaller window at the next check-in", () => {
    let state = creditGrant(undefined, { ...config, window: 4 }, 0);
    const shrunk = { ...config, window: 1 };

    state = spent(state, "u1", 100);
    const second = creditSpend(state, shrunk, "u2", 200);
    const regrant = creditGrant(second.state, shrunk, 300);

    expect(second.ok).toBe(true);
    expect(regrant.credits).toBe(0);
  });

  it("ignores the release of an upload it does not hold", () => {
    const state = creditGrant(undefined, config, 0);

    expect(creditRelease(state, "never-sent")).toBe(state);
  });

  it("returns new states and never mutates the one it was given", () => {
    const state = creditGrant(undefined, config, 0);
    const snapshot = structuredClone(state);

    spent(state, "u1", 10);
    creditRelease(spent(state, "u1", 10), "u1");
    creditExpire(state, 100_000);

    expect(state).toEqual(snapshot);
  });

  it("survives a JSON round trip, as the cluster persists it", () => {
    const state = spent(creditGrant(undefined, config, 0), "u1", 10);

    const restored = JSON.parse(JSON.stringify(state)) as CreditWindowState;

    expect(restored).toEqual(state);
    expect(creditSpend(restored, config, "u1", 20)).toMatchObject({ ok: true, duplicate: true });
  });

  it("refuses a config out of range, naming the field", () => {
    expect(() => creditGrant(undefined, { ...config, window: 1.5 }, 0)).toThrow(/creditWindow\.window/);
    expect(() => creditGrant(undefined, { ...config, creditLeaseMs: 0 }, 0)).toThrow(/creditLeaseMs/);
    expect(() => creditSpend(undefined, { ...config, inFlightLeaseMs: Number.NaN }, "u", 0)).toThrow(
      /inFlightLeaseMs/,
    );
  });
});
