/**
 * The machine shared by the cluster and region tiers: append inputs to the write-ahead
 * log before acknowledging them, flush a sealed batch to the parent when a hook says
 * the batch is ready (or its wait has run out), delete it only after the parent's ack,
 * and retry failed flushes from the alarm with backoff.
 */
import { DurableObject } from "cloudflare:workers";
import type { Region } from "../shared/regions";
import { wasmBackend } from "../wasm/index";
import type { PartialAck, PartialEnvelope } from "./partial";
import { AggregationLog } from "./storage/aggregation-log";
import { setEarliestAlarm } from "./storage/alarm";
import { BlobStore } from "./storage/blob-store";
import { Meta } from "./storage/meta";

export interface TierIdentity {
  task: string;
  region: Region;
  dim: number;
  /** A non-empty batch is flushed at the latest this long after its first input. */
  maxWaitMs: number;
}

export interface TierStatus {
  configured: boolean;
  openUpdates: number;
  openWeight: number;
  pending: { seq: number; attempts: number; nextAttemptAt: number } | null;
}

export abstract class TierAggregator<I extends TierIdentity> extends DurableObject<Env> {
  protected readonly meta: Meta;
  readonly #blobs: BlobStore;
  #log: AggregationLog | null = null;
  #flushing: Promise<void> | null = null;
  #again = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.meta = new Meta(ctx.storage.sql);
    this.#blobs = new BlobStore(ctx.storage.sql);
  }

  /** This object's name, as its parent knows it. */
  protected abstract selfName(id: I): string;
  /** Sends a sealed batch to the parent tier. */
  protected abstract sendToParent(id: I, envelope: PartialEnvelope): Promise<PartialAck>;
  /** Whether the open batch is complete, apart from time (count reached, every child reported…). */
  protected abstract batchComplete(id: I, log: AggregationLog): boolean;

  protected identity(): I | undefined {
    return this.meta.get<I>("identity");
  }

  protected requireIdentity(): I {
    const id = this.identity();
    if (!id) throw new Error(`${this.constructor.name} ${this.ctx.id} has not been configured`);
    return id;
  }

  /** The log, rebuilt from storage the first time it is needed after a wake. */
  protected log(id: I): AggregationLog {
    this.#log ??= new AggregationLog(this.ctx.storage.sql, this.#blobs, wasmBackend, id.dim);
    return this.#log;
  }

  protected saveIdentity(id: I): void {
    const before = this.identity();
    if (before && before.dim !== id.dim) {
      throw new Error(`dimension is fixed at ${before.dim}; cannot reconfigure to ${id.dim}`);
    }
    this.meta.set("identity", id);
  }

  /**
   * Runs `write` (which appends to the log, as its last write) in one storage transaction,
   * then starts a flush if the batch is ready.
   */
  protected commit<T>(id: I, write: (log: AggregationLog, now: number) => T): T {
    const log = this.log(id);
    const result = this.ctx.storage.transactionSync(() => write(log, Date.now()));
    this.kick(id);
    return result;
  }

  /** Flushes now if the batch is ready; otherwise makes sure an alarm will. */
  protected kick(id: I): void {
    if (this.#ready(id, Date.now())) void this.#flush(id);
    else void this.#schedule(id);
  }

  async status(): Promise<TierStatus> {
    const id = this.identity();
    if (!id) return { configured: false, openUpdates: 0, openWeight: 0, pending: null };
    const log = this.log(id);
    return { configured: true, openUpdates: log.openCount, openWeight: log.openWeight, pending: log.pending };
  }

  override async alarm(): Promise<void> {
    const id = this.identity();
    if (!id) return;
    // The alarm is set for the earliest due retry, so when it fires the pending batch is due.
    await this.#flush(id, true);
    this.onAlarm(id);
  }

  /** Housekeeping hook run after every alarm. */
  protected onAlarm(_id: I): void {}

  #ready(id: I, now: number, retryDue = false): boolean {
    const log = this.log(id);
    const pending = log.pending;
    if (pending) return retryDue || pending.nextAttemptAt <= now;
    if (log.openInputs === 0) return false;
    return this.batchComplete(id, log) || now >= (log.openSince ?? now) + id.maxWaitMs;
  }

  /** Sends sealed batches one at a time until nothing is ready. Concurrent callers join the running loop. */
  #flush(id: I, retryDue = false): Promise<void> {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = (async () => {
      try {
        do {
          this.#again = false;
          if (!this.#ready(id, Date.now(), retryDue)) continue;
          retryDue = false;
          const log = this.log(id);
          const batch = this.ctx.storage.transactionSync(() => log.seal(Date.now()));
          if (!batch) continue;
          // Covers the send: if this object dies mid-send, the alarm at the lease's end resends.
          await this.#schedule(id);
          try {
            await this.sendToParent(id, {
              child: this.selfName(id),
              seq: batch.seq,
              weight: batch.weight,
              count: batch.count,
              sum: batch.sum,
            });
          } catch (err) {
            const retryAt = this.ctx.storage.transactionSync(() => log.recordFailure(batch.seq, Date.now()));
            console.warn(
              `${this.selfName(id)}: flush of batch ${batch.seq} failed, retrying at ${new Date(retryAt).toISOString()}:`,
              err,
            );
            break;
          }
          this.ctx.storage.transactionSync(() => log.acknowledge(batch.seq));
          this.#again = true;
        } while (this.#again);
      } finally {
        this.#flushing = null;
        await this.#schedule(id);
      }
    })();
    return this.#flushing;
  }

  /** One alarm per object: the earliest of the pending batch's retry and the open batch's deadline. */
  async #schedule(id: I): Promise<void> {
    const log = this.log(id);
    const times = log.pending ? [log.pending.nextAttemptAt] : [];
    if (log.openSince !== null) times.push(log.openSince + id.maxWaitMs);
    await setEarliestAlarm(this.ctx.storage, times);
  }
}
