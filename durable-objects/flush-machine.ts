/**
 * The one loop every aggregator runs — cluster, region and coordinator alike: seal the
 * open batch when it is due, deliver it, and on the outcome either acknowledge it
 * (forget its inputs), dead-letter it (the receiver refused it for good) or retry it
 * later with capped, jittered exponential backoff. The object supplies hooks — when its
 * open batch is due and what delivering means — and owns nothing of the loop.
 *
 * Invariants:
 * - At most one sealed batch at a time (AggregationLog), so while one is pending the
 *   open batch cannot be sent and its deadline is not a reason to wake.
 * - The object's single alarm is always set to the earliest real need: the pending
 *   batch's retry (or its send lease, while a send is in flight), else the open
 *   batch's due time, and any housekeeping time the object asks for.
 * - An alarm that fires before the pending batch's retry time sends nothing.
 * - A refusal whose code is permanent (isPermanent: every 4xx) dead-letters the batch,
 *   so one bad batch never wedges the tier; anything thrown, or a 5xx, is transient.
 */
import { FedgeError } from "../shared/errors";
import { emptyMetrics, type MetricSet, merge } from "../shared/metrics/metric-set";
import { count, record } from "../shared/metrics/record";
import { fail, isPermanent, type Result } from "../shared/result";
import type { AggregationLog, DeadLetter, SealedBatch } from "./storage/aggregation-log";
import { setEarliestAlarm } from "./storage/alarm";

/** Seal and send now (true), look again at this time (a number), or wait for new input (null). */
export type Due = true | number | null;

export interface FlushHooks {
  /** The tier, as metrics label it. */
  readonly tier: "cluster" | "region" | "coordinator";
  /** For log lines: this object's name. */
  name(): string;
  /** When the (non-empty) open batch is due. Asked only while no sealed batch is pending. */
  due(log: AggregationLog, now: number): Due;
  /**
   * Delivers a sealed batch. On success it may return writes to make in the transaction
   * that acknowledges the batch (the coordinator commits its new version there).
   */
  deliver(batch: SealedBatch): Promise<Result<(() => void) | undefined>>;
  /**
   * The metrics recorded since the previous batch, sealed into the next one (they travel
   * with it); what this returns must not be recorded into again. Default: none.
   */
  sealMetrics?(log: AggregationLog, now: number): MetricSet;
  /** Where a batch sealed now goes (the tier's parent now), kept with it for every resend. Default: null. */
  route?(): string | null;
  /** Where the machine records its own metrics (flush outcomes and durations), for the next batch. */
  metrics?(): MetricSet;
  /** Told after a batch was acknowledged upstream (it has drained); must not throw. */
  onAcknowledged?(batch: SealedBatch): void;
  /** Told after a batch was dead-lettered (to report it); must not throw. */
  onDeadLettered?(batch: SealedBatch, error: { code: string; message: string }, letters: DeadLetter[]): void;
  /** Other times this object needs its alarm (housekeeping); none by default. */
  housekeepingAt?(now: number): number | null;
}

export type DeliveryOutcome = "acknowledged" | "dead-lettered" | "retrying";

export class FlushMachine {
  readonly #storage: DurableObjectStorage;
  readonly #log: AggregationLog;
  readonly #hooks: FlushHooks;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(storage: DurableObjectStorage, log: AggregationLog, hooks: FlushHooks) {
    this.#storage = storage;
    this.#log = log;
    this.#hooks = hooks;
  }

  /** After new input: flush in the background if anything is due, and keep the alarm right. Never throws. */
  kick(): void {
    this.run().catch((err) => console.error(`${this.#hooks.name()}: flush loop failed:`, err));
  }

  /** Sends due batches until nothing is due or a send fails; concurrent callers join the running loop. */
  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Resolves once no loop is running (callers that must not interleave with a delivery wait here). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running.catch(() => undefined);
  }

  /** Sets the alarm to the earliest real need (see the invariants above). */
  schedule(): Promise<void> {
    return setEarliestAlarm(this.#storage, () => {
      const now = Date.now();
      const times: number[] = [];
      const housekeeping = this.#hooks.housekeepingAt?.(now) ?? null;
      if (housekeeping !== null) times.push(housekeeping);
      const pending = this.#log.pending;
      if (pending) times.push(pending.nextAttemptAt);
      else if (this.#log.openInputs > 0) {
        const due = this.#hooks.due(this.#log, now);
        if (due !== null) times.push(due === true ? now : due);
      }
      return times;
    });
  }

  /**
   * After new input: starts a flush in the background if one is due, and returns once
   * the alarm reflects the new state, so a caller that awaits it before answering knows
   * that an alarm will pick up whatever the background flush does not finish.
   */
  async admit(): Promise<void> {
    this.kick();
    await this.schedule();
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        while (this.#isDue(Date.now())) {
          if ((await this.#deliverOnce()) === "retrying") return;
        }
      } while (this.#again);
    } finally {
      await this.schedule();
    }
  }

  #isDue(now: number): boolean {
    const pending = this.#log.pending;
    if (pending) return pending.nextAttemptAt <= now;
    return this.#log.openInputs > 0 && this.#hooks.due(this.#log, now) === true;
  }

  #record(outcome: "acknowledged" | "dead_lettered" | "retrying", seconds: number): void {
    const m = this.#hooks.metrics?.();
    if (!m) return;
    count(m, "fedge_flushes_total", { tier: this.#hooks.tier, outcome });
    record(m, "fedge_stage_duration_seconds", seconds, { stage: "flush", tier: this.#hooks.tier });
  }

  async #deliverOnce(): Promise<DeliveryOutcome> {
    const log = this.#log;
    const sealedAt = Date.now();
    const batch = this.#storage.transactionSync(() =>
      log.seal(
        sealedAt,
        (l) => this.#hooks.sealMetrics?.(l, sealedAt) ?? emptyMetrics(),
        () => this.#hooks.route?.() ?? null,
      ),
    );
    if (!batch) return "acknowledged";
    // The lease's alarm covers the send: if this object dies mid-send, it fires and resends.
    await this.schedule();
    let outcome: Result<(() => void) | undefined>;
    try {
      outcome = await this.#hooks.deliver(batch);
    } catch (err) {
      outcome = err instanceof FedgeError ? fail(err.code, err.message) : fail("unavailable", describe(err));
    }
    const seconds = (Date.now() - sealedAt) / 1000;
    if (outcome.ok) {
      const commit = outcome.value;
      this.#storage.transactionSync(() => {
        commit?.();
        log.acknowledge(batch.seq);
      });
      this.#record("acknowledged", seconds);
      this.#hooks.onAcknowledged?.(batch);
      return "acknowledged";
    }
    const { code, message } = outcome.error;
    if (isPermanent(code)) {
      const letters = this.#storage.transactionSync(() =>
        log.deadLetter(batch.seq, outcome.error, Date.now()),
      );
      console.warn(
        `${this.#hooks.name()}: batch ${batch.seq} (${letters.length} inputs, ${batch.count} updates) refused for good, dead-lettered: ${code}: ${message}`,
      );
      // The batch's metrics did not reach the parent: they go with the next batch.
      const pending = this.#hooks.metrics?.();
      if (pending) {
        merge(pending, batch.metrics);
        count(pending, "fedge_dead_letters_total", {}, batch.count);
      }
      this.#record("dead_lettered", seconds);
      this.#hooks.onDeadLettered?.(batch, outcome.error, letters);
      return "dead-lettered";
    }
    const retryAt = this.#storage.transactionSync(() => log.recordFailure(batch.seq, Date.now()));
    console.warn(
      `${this.#hooks.name()}: delivery of batch ${batch.seq} failed (${code}: ${message}), retrying at ${new Date(retryAt).toISOString()}`,
    );
    this.#record("retrying", seconds);
    return "retrying";
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
