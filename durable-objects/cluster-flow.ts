/**
 * Flow control at a cluster (docs/architecture.md#congestion-control): what decides, before
 * an update is written or acknowledged, whether this cluster takes it now. The rules, in
 * the order they are applied, each from shared/congestion:
 *
 * 1. **Overload** (Little's law): the cluster sheds with 503 `overloaded` when its backlog —
 *    updates acknowledged but not yet acknowledged upstream — reaches the drain rate it
 *    measures times the target queueing delay (at least `minBacklog`), or when the request
 *    itself waited longer than that delay on its way here (the edge stamps when it began,
 *    so a saturated runtime shows as queueing delay, CoDel's sojourn time: Nichols and
 *    Jacobson, "Controlling Queue Delay", ACM Queue 2012). Retry-After follows the
 *    expected drain time, jittered.
 * 2. **Window**: a device may have at most `window` updates in flight (acknowledged here,
 *    not yet upstream). Credits = window − in flight are granted in every check-in answer,
 *    an upload spends one, the parent's acknowledgement returns it (the log's rows are the
 *    state, so nothing can leak); past it, 429 `window_full`.
 * 3. **Per-device rate**: GCRA at a rate that adapts by AIMD — halved on every congestion
 *    signal (1. above), growing back linearly while clear — so a device that pushes into a
 *    congested cluster is slowed first; past it, 429 `rate_limited`.
 * 4. **Fair bytes**: a max-min fair byte budget per interval across the active devices, so
 *    a greedy device cannot take a quiet one's share; past its share, 429 `rate_limited`.
 *
 * The rate, budget and drain states are soft: kept in memory, they start afresh when the
 * object does (every device at its full rate), which errs on the side of admitting.
 */
import {
  type AimdState,
  aimdUpdate,
  type DrainState,
  drainRate,
  drainStart,
  type FairBudgetState,
  fairBudgetSpend,
  type GcraState,
  gcraAdmit,
  observeDrain,
  overloadDecision,
  paceSteering,
} from "../shared/congestion/index";
import type { ErrorCode } from "../shared/errors";

export const FLOW = {
  /** Target queueing delay W for accepted updates, and the longest a request may have waited to get here. */
  maxDelayMs: 1000,
  /** Updates in flight per device (1 with privacy.dp: see ClusterFlow's constructor). */
  window: 4,
  /** Per-device upload rate, per second: the ceiling, the floor, and the linear growth per second while clear. */
  aimd: { maxRate: 2, minRate: 0.05, increasePerSecond: 0.1, decreaseFactor: 0.5 },
  /** Uploads a device may send back to back. */
  burst: 4,
  /** Fair byte budget interval, and the capacity it shares: at least this, or twice the measured drain in bytes. */
  budget: { intervalMs: 1000, minCapacityBytes: 4 * 1024 * 1024 },
  /** Check-ins the cluster wants per second when spreading devices told to come back (pace steering). */
  checkinsPerSecond: 10,
} as const;

export type FlowRefusal = { code: ErrorCode; message: string; retryAfterSeconds: number };

export interface UploadLoad {
  /** Updates acknowledged here and not yet upstream. */
  backlog: number;
  /** This device's share of them. */
  inFlight: number;
  /** How long the request waited before the cluster saw it, ms. */
  queuedMs: number;
}

export class ClusterFlow {
  readonly #minBacklog: number;
  readonly #window: number;
  readonly #random: () => number;
  #drain: DrainState;
  #drainedBytes: DrainState;
  #rates = new Map<string, AimdState>();
  #gcra = new Map<string, GcraState>();
  #budget: FairBudgetState | undefined;

  /**
   * `window` is the updates one device may have in flight here. A task with privacy.dp
   * takes 1: a device's next update waits until its last one has gone up, so that no batch
   * of this cluster holds two of its updates (each costs privacy: central-dp.ts).
   */
  constructor(
    clusterSize: number,
    now: number,
    random: () => number = Math.random,
    window: number = FLOW.window,
  ) {
    // A cluster must always be able to hold a round from each member plus the batch in flight.
    this.#minBacklog = 2 * clusterSize;
    this.#window = window;
    this.#random = random;
    this.#drain = drainStart(now);
    this.#drainedBytes = drainStart(now);
  }

  /** Whether to take an upload of `bytes` from `device` now; the refusal carries its code and Retry-After. */
  admit(device: string, bytes: number, load: UploadLoad, now: number): FlowRefusal | null {
    const drain = drainRate(this.#drain, now);
    const overload = overloadDecision(
      {
        backlog: load.backlog,
        drainPerSecond: drain,
        maxDelayMs: FLOW.maxDelayMs,
        minBacklog: this.#minBacklog,
      },
      this.#random,
    );
    const queued = load.queuedMs > FLOW.maxDelayMs;
    const rate = aimdUpdate(
      this.#rates.get(device),
      overload.shed || queued ? "congested" : "clear",
      FLOW.aimd,
      now,
    );
    this.#rates.set(device, rate);
    if (overload.shed) {
      return {
        code: "overloaded",
        message: `the cluster holds ${load.backlog} updates and drains ${drain.toFixed(1)}/s; it takes at most ${Math.floor(overload.allowedBacklog)} at a time`,
        retryAfterSeconds: overload.retryAfterSeconds,
      };
    }
    if (queued) {
      return {
        code: "overloaded",
        message: `the request waited ${Math.round(load.queuedMs)} ms to reach its cluster (target ${FLOW.maxDelayMs} ms)`,
        retryAfterSeconds: 1 + Math.floor(this.#random() * Math.ceil(load.queuedMs / 1000 + 1)),
      };
    }
    if (load.inFlight >= this.#window) {
      return {
        code: "window_full",
        message: `this device has ${load.inFlight} updates in flight, its window is ${this.#window}; check in for credits once they are aggregated`,
        retryAfterSeconds: 1 + Math.floor(this.#random() * 2),
      };
    }
    const limited = gcraAdmit(this.#gcra.get(device), { ratePerSecond: rate.rate, burst: FLOW.burst }, now);
    if (!limited.allowed) {
      return {
        code: "rate_limited",
        message: `this device's upload rate is ${rate.rate.toFixed(2)}/s while its cluster is congested`,
        retryAfterSeconds: Math.max(1, Math.ceil(limited.retryAfterMs / 1000)),
      };
    }
    const capacityBytes = Math.max(FLOW.budget.minCapacityBytes, 2 * drainRate(this.#drainedBytes, now));
    const budget = fairBudgetSpend(
      this.#budget,
      { capacityBytes, intervalMs: FLOW.budget.intervalMs },
      device,
      bytes,
      now,
    );
    this.#budget = budget.state;
    if (!budget.allowed) {
      return {
        code: "rate_limited",
        message: `this device has used its fair share of the cluster's bandwidth (${Math.round(budget.allowanceBytes)} bytes this second)`,
        retryAfterSeconds: Math.max(1, Math.ceil(budget.retryAfterMs / 1000)),
      };
    }
    this.#gcra.set(device, limited.state);
    return null;
  }

  /** A batch of `updates` updates and `bytes` bytes was acknowledged upstream. */
  drained(updates: number, bytes: number, now: number): void {
    this.#drain = observeDrain(this.#drain, updates, now);
    this.#drainedBytes = observeDrain(this.#drainedBytes, bytes, now);
  }

  /** Credits for a device with `inFlight` updates in flight. */
  credits(inFlight: number): number {
    return Math.max(0, this.#window - inFlight);
  }

  /** Extra seconds a device told to come back waits, so members' check-ins spread (pace steering). */
  paceSeconds(members: number, device: string): number {
    const pace = paceSteering(
      { activeDevices: members, targetConcurrent: FLOW.checkinsPerSecond, periodSeconds: 1 },
      device,
    );
    return Math.floor(pace.offsetMs / 1000);
  }
}
