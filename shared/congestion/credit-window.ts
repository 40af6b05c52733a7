/**
 * Window-based flow control with credits (Kung & Morris, "Credit-Based Flow Control for ATM
 * Networks", IEEE Network 9(2), 1995; HTTP/2's WINDOW_UPDATE, RFC 9113 §5.2). A cluster
 * grants a device credits at check-in; each upload spends one and stays "in flight" until
 * the cluster's flush carrying it is acknowledged upstream, which frees its place in the
 * window. So a device never has more than `window` uploads granted or pending in the tier,
 * and the tier's backlog is bounded by the sum of the windows it hands out.
 *
 * Every credit and every in-flight place is a lease (Gray & Cheriton, "Leases", SOSP 1989):
 * it lapses on its own, so a device that vanished, or an acknowledgement that never came,
 * cannot hold a place forever.
 *
 * The rules:
 * - grant: credits ← max(0, window − in flight), lapsing after creditLeaseMs. A check-in
 *   replaces the previous grant, so a window shrunk under load takes effect at the next
 *   check-in; credits already granted stay valid until then (RFC 9293 §3.8.6: a receiver
 *   should not shrink a window it has advertised).
 * - spend(id): takes one live credit and puts `id` in flight for inFlightLeaseMs. An `id`
 *   already in flight is a retry of the same upload and costs nothing.
 * - release(id): the upload was acknowledged upstream; its place is free for the next grant.
 * - expire(now): drops lapsed credits and lapsed in-flight places (spend and grant do it first).
 */
export interface CreditWindowConfig {
  /** Most uploads a device may hold granted or in flight at once; 0 grants nothing. */
  window: number;
  /** How long a device has to spend granted credits, ms (covers local training). */
  creditLeaseMs: number;
  /** How long an upload may wait for its upstream acknowledgement before its place is freed, ms. */
  inFlightLeaseMs: number;
}

export interface InFlightUpload {
  id: string;
  expiresAt: number;
}

export interface CreditWindowState {
  /** Credits granted at the last check-in and not yet spent. */
  credits: number;
  /** When unspent credits lapse, ms. */
  creditsExpireAt: number;
  /** Uploads spent and not yet acknowledged upstream, oldest first. */
  inFlight: InFlightUpload[];
}

export type CreditRefusal = "no_credit" | "credits_expired";

export type CreditSpend =
  | { ok: true; state: CreditWindowState; duplicate: boolean }
  | { ok: false; reason: CreditRefusal; state: CreditWindowState };

const EMPTY: CreditWindowState = { credits: 0, creditsExpireAt: 0, inFlight: [] };

/** A check-in's grant; the device is told `state.credits`. */
export function creditGrant(
  state: CreditWindowState | undefined,
  config: CreditWindowConfig,
  now: number,
): CreditWindowState {
  validateCreditWindowConfig(config);
  const { inFlight } = creditExpire(state, now).state;
  return {
    credits: Math.max(0, config.window - inFlight.length),
    creditsExpireAt: now + config.creditLeaseMs,
    inFlight,
  };
}

export function creditSpend(
  state: CreditWindowState | undefined,
  config: CreditWindowConfig,
  id: string,
  now: number,
): CreditSpend {
  validateCreditWindowConfig(config);
  const lapsed = state !== undefined && state.credits > 0 && state.creditsExpireAt <= now;
  const live = creditExpire(state, now).state;
  if (live.inFlight.some((upload) => upload.id === id)) return { ok: true, state: live, duplicate: true };
  if (live.credits === 0) return { ok: false, reason: lapsed ? "credits_expired" : "no_credit", state: live };
  return {
    ok: true,
    duplicate: false,
    state: {
      credits: live.credits - 1,
      creditsExpireAt: live.creditsExpireAt,
      inFlight: [...live.inFlight, { id, expiresAt: now + config.inFlightLeaseMs }],
    },
  };
}

/** The upload `id` was acknowledged upstream. Unknown ids (already expired, or never spent) are ignored. */
export function creditRelease(state: CreditWindowState, id: string): CreditWindowState {
  const inFlight = state.inFlight.filter((upload) => upload.id !== id);
  return inFlight.length === state.inFlight.length ? state : { ...state, inFlight };
}

/** Drops lapsed credits and in-flight places; `expired` names the uploads whose acknowledgement never came. */
export function creditExpire(
  state: CreditWindowState | undefined,
  now: number,
): { state: CreditWindowState; expired: string[] } {
  if (state === undefined) return { state: EMPTY, expired: [] };
  const expired = state.inFlight.filter((upload) => upload.expiresAt <= now).map((upload) => upload.id);
  const creditsLapsed = state.credits > 0 && state.creditsExpireAt <= now;
  if (expired.length === 0 && !creditsLapsed) return { state, expired };
  return {
    state: {
      credits: creditsLapsed ? 0 : state.credits,
      creditsExpireAt: state.creditsExpireAt,
      inFlight: state.inFlight.filter((upload) => upload.expiresAt > now),
    },
    expired,
  };
}

/** Live credits plus uploads in flight: the device's share of the tier's backlog bound. */
export function creditOutstanding(state: CreditWindowState | undefined, now: number): number {
  const live = creditExpire(state, now).state;
  return live.credits + live.inFlight.length;
}

/** Throws a RangeError naming the first field out of range; call it when the config is set. */
export function validateCreditWindowConfig({
  window,
  creditLeaseMs,
  inFlightLeaseMs,
}: CreditWindowConfig): void {
  if (!(Number.isSafeInteger(window) && window >= 0)) {
    throw new RangeError(`creditWindow.window must be an integer >= 0, got ${window}`);
  }
  if (!(creditLeaseMs > 0 && Number.isFinite(creditLeaseMs))) {
    throw new RangeError(`creditWindow.creditLeaseMs must be a finite number > 0, got ${creditLeaseMs}`);
  }
  if (!(inFlightLeaseMs > 0 && Number.isFinite(inFlightLeaseMs))) {
    throw new RangeError(`creditWindow.inFlightLeaseMs must be a finite number > 0, got ${inFlightLeaseMs}`);
  }
}
