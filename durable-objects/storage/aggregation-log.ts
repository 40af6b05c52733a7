/**
 * The write-ahead log every aggregator tier shares (docs/architecture.md#durability).
 *
 * Inputs are appended to SQLite before the sender is acknowledged. The running sum of
 * the open batch lives in memory and is rebuilt from the log on wake, in the original
 * order, so a rebuilt sum is bit-identical to the lost one. Flushing seals the open
 * inputs into a numbered batch; the batch's inputs are deleted only once the parent
 * has acknowledged it. At most one sealed batch is outstanding at a time, so a
 * parent can de-duplicate by remembering each child's last sequence number.
 *
 * The sum never leaves the finite f32 range: each input's ‖scale · x‖₂ is known before
 * it is added (measured, or given), and an input that would take the batch's magnitude
 * Σ |scaleᵢ|·‖xᵢ‖₂ — a bound on every coordinate of the sum — past MAX_MAGNITUDE is
 * refused (aggregate_overflow) before anything is written. A sealed batch its parent
 * refuses for good is dead-lettered: its inputs are listed with the reason and forgotten.
 */

import { FedgeError } from "../../shared/errors";
import type { Accumulator, KernelBackend } from "../../shared/kernels/accumulator";
import { emptyMetrics, type MetricSet } from "../../shared/metrics/metric-set";
import type { CodecId } from "../../shared/protocol/frame";
import type { PartialEnvelope } from "../partial";
import { type BlobStore, CHUNK_BYTES } from "./blob-store";
import { addColumn, ensureTable, hasColumn } from "./schema";

export interface LogInput {
  /** Idempotency key, unique within this aggregator. */
  id: string;
  /** Device id or child aggregator name. */
  source: string;
  codec: CodecId;
  /** The raw payload (inflated if it arrived deflated), as docs/codecs.md lays it out for codec. */
  payload: Uint8Array;
  /** The decoded vector is multiplied by this before it is summed (a device's sample weight; 1 for a partial). */
  scale: number;
  /** Added to the batch's total weight (Σ nᵢ). */
  weight: number;
  /** Device updates this input represents. */
  count: number;
  /** ‖x‖₂ of the decoded payload, before scaling (Accumulator.measure). */
  norm: number;
  /**
   * How many updates each device has inside, when the task accounts for privacy
   * (privacy.dp): `{device: 1}` for a device update, the child's counts for a partial.
   * A batch keeps counts only while every input has them.
   */
  devices?: DeviceCounts | undefined;
  /** For a partial: when the oldest device update inside it was acknowledged (default: now). */
  firstAt?: number;
  /** The model version a device update was trained from (its base version), where the tier records it. */
  version?: number | undefined;
}

/** An input that was acknowledged but whose batch its parent refused for good. */
export type DeadLetter = {
  id: string;
  source: string;
  count: number;
  weight: number;
  seq: number;
  code: string;
  message: string;
  at: number;
};

/** Device id → its updates inside a batch. */
export type DeviceCounts = Record<string, number>;

/** What a tier sends to its parent: Σ scaleᵢ·xᵢ with its total weight and update count. */
export interface PartialAggregate {
  weight: number;
  count: number;
  /**
   * How many updates each device has inside (LogInput.devices), or null when not every
   * input said. With each update clipped to C, one device moves the sum by at most its
   * count times C: the privacy accountant's sensitivity.
   */
  devices: DeviceCounts | null;
  sum: Float32Array;
}

export interface SealedBatch extends PartialAggregate {
  seq: number;
  attempts: number;
  /** When the oldest device update in the batch was acknowledged. */
  firstAt: number;
  /** Σ payload bytes of its inputs. */
  bytes: number;
  /** The sending tier's metrics since its previous batch (shared/metrics), sealed with it. */
  metrics: MetricSet;
  /**
   * Where the batch goes, fixed when it is sealed (the parent then): a resend after the tree
   * re-parented its sender still reaches the parent that may have merged it. Null: the
   * tier's one parent.
   */
  route: string | null;
}

interface Running {
  acc: Accumulator;
  weight: number;
  count: number;
  /** Updates per device, while every input has said (LogInput.devices). */
  devices: Map<string, number> | null;
  inputs: number;
  /** Σ |scaleᵢ|·‖xᵢ‖₂ ≥ ‖sum‖∞. */
  magnitude: number;
  /** The earliest acknowledgement of a device update inside (Infinity when empty). */
  firstAt: number;
  /** Σ payload bytes of the inputs. */
  bytes: number;
}

/**
 * The largest magnitude a batch may reach: half the f32 range. f32 rounding moves a sum
 * of n terms by at most a relative n·2⁻²⁴ of Σ|terms|, so below 2²³ inputs per batch no
 * coordinate can reach the f32 maximum, and no partial built from such sums can either.
 */
export const MAX_MAGNITUDE = 3.4028234663852886e38 / 2;

/** How long one send attempt may take before the batch is due to be sent again. */
export const SEND_LEASE_MS = 30_000;

/** Retry delays for a failed flush: exponential from 1 s, capped at 5 min, with full jitter in [½d, d]. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const d = Math.min(300_000, 1000 * 2 ** Math.min(attempts - 1, 20));
  return Math.round(d / 2 + (random() * d) / 2);
}

export class AggregationLog {
  readonly #sql: SqlStorage;
  readonly #blobs: BlobStore;
  readonly #backend: KernelBackend;
  readonly #dim: number;
  #open: Running;
  #sealed:
    | (Running & {
        seq: number;
        attempts: number;
        nextAttemptAt: number;
        metrics: MetricSet;
        route: string | null;
        /** The batch's inputs are the rows with seqno ≤ upto (older batches' rows are gone). */
        upto: number;
      })
    | null = null;
  #openSince: number | null = null;
  /** The acknowledged batch's accumulator, kept for the next batch: one kernel instance per role per object lifetime. */
  #spare: Accumulator | null = null;

  constructor(sql: SqlStorage, blobs: BlobStore, backend: KernelBackend, dim: number) {
    this.#sql = sql;
    this.#blobs = blobs;
    this.#backend = backend;
    this.#dim = dim;
    // A sealed batch is a range of seqnos (log_batches.upto), so sealing writes no input
    // row. A log from before had each input marked with its batch: a batch sealed then
    // gets its range from its inputs, before they are rebuilt without the mark.
    sql.exec(`CREATE TABLE IF NOT EXISTS log_batches (
      seq INTEGER PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0,
      metrics TEXT NOT NULL DEFAULT '{"counters":{},"histograms":{}}', route TEXT, upto INTEGER NOT NULL DEFAULT 0)`);
    addColumn(sql, "log_batches", "route", "TEXT");
    if (!hasColumn(sql, "log_batches", "upto")) {
      sql.exec("ALTER TABLE log_batches ADD COLUMN upto INTEGER NOT NULL DEFAULT 0");
      sql.exec(
        "UPDATE log_batches SET upto = COALESCE((SELECT MAX(seqno) FROM log_inputs WHERE batch = log_batches.seq), 0)",
      );
    }
    // One B-tree, each row written once and deleted once: no AUTOINCREMENT (a new seqno
    // follows the largest row, so ORDER BY seqno is arrival order), no index on id (an input
    // is logged once: the cluster's assignments and a tier's log_received see to it), no batch
    // mark. A log created with any of them is rebuilt (and one from before device counts
    // gets the column).
    ensureTable(
      sql,
      "log_inputs",
      `CREATE TABLE IF NOT EXISTS log_inputs (
      seqno INTEGER PRIMARY KEY,
      id TEXT NOT NULL, source TEXT NOT NULL, codec INTEGER NOT NULL,
      scale REAL NOT NULL, weight REAL NOT NULL, count INTEGER NOT NULL, norm REAL NOT NULL,
      received_at INTEGER NOT NULL, first_at INTEGER NOT NULL, payload BLOB, devices TEXT, version INTEGER)`,
      (definition) => !/AUTOINCREMENT|UNIQUE|batch INTEGER/.test(definition),
    );
    addColumn(sql, "log_inputs", "version", "INTEGER");
    sql.exec(`CREATE TABLE IF NOT EXISTS log_dead_letters (
      id TEXT PRIMARY KEY, source TEXT NOT NULL, count INTEGER NOT NULL, weight REAL NOT NULL,
      seq INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL)`);
    sql.exec("CREATE TABLE IF NOT EXISTS log_received (child TEXT PRIMARY KEY, last_seq INTEGER NOT NULL)");
    // Partials merged from the child, for the tree's admin view (counted from when the column was added).
    addColumn(sql, "log_received", "merged", "INTEGER NOT NULL DEFAULT 0");
    sql.exec(
      "CREATE TABLE IF NOT EXISTS log_state (id INTEGER PRIMARY KEY CHECK (id = 0), next_seq INTEGER NOT NULL)",
    );
    sql.exec("INSERT OR IGNORE INTO log_state (id, next_seq) VALUES (0, 1)");
    this.#open = this.#running();
    this.#rebuild();
  }

  get dim(): number {
    return this.#dim;
  }

  /** Updates (device-level) in the open batch. */
  get openCount(): number {
    return this.#open.count;
  }

  get openWeight(): number {
    return this.#open.weight;
  }

  /** Distinct inputs (rows) in the open batch. */
  get openInputs(): number {
    return this.#open.inputs;
  }

  /** When the oldest input of the open batch was received (ms since epoch), or null if it is empty. */
  get openSince(): number | null {
    return this.#openSince;
  }

  /** A copy of the open batch's running sum. */
  openSum(): Float32Array {
    return this.#open.acc.snapshot();
  }

  /** The sequence number the open batch will have when it is sealed. */
  #nextSeq(): number {
    const [state] = this.#sql.exec<{ next_seq: number }>("SELECT next_seq FROM log_state").toArray();
    return state?.next_seq ?? 1;
  }

  /** The sealed batch awaiting its parent's acknowledgement, if any. */
  get pending(): { seq: number; attempts: number; nextAttemptAt: number; updates: number } | null {
    const s = this.#sealed;
    return s ? { seq: s.seq, attempts: s.attempts, nextAttemptAt: s.nextAttemptAt, updates: s.count } : null;
  }

  /** Validates a raw payload and returns its ‖x‖₂, without touching any sum. Throws its CodecError. */
  measure(codec: number, payload: Uint8Array): number {
    return Math.sqrt(this.#open.acc.measure({ codec, payload }).squaredNorm);
  }

  /**
   * Appends an input to the open batch and adds it to the running sum. The caller runs
   * this inside a storage transaction together with its own bookkeeping. The payload is
   * summed last, straight from its encoding (Accumulator.accumulate), which validates it
   * whole before touching the sum: a bad payload throws with the sum unchanged and the
   * transaction rolls back the rows, and a failed write throws before the sum changes,
   * so the sum never holds an input the log does not.
   */
  append(input: LogInput, now: number): void {
    const magnitude = this.#open.magnitude + Math.abs(input.scale) * input.norm;
    if (!(magnitude <= MAX_MAGNITUDE)) {
      throw new FedgeError(
        "aggregate_overflow",
        `this input (‖x‖ = ${input.norm.toPrecision(4)}, scale ${input.scale.toPrecision(4)}) would take the aggregate past ${MAX_MAGNITUDE.toPrecision(4)}, where f32 sums stop being finite`,
      );
    }
    // A payload that fits a row is stored in it: one row written, and one deleted, per input.
    const inline = input.payload.byteLength <= CHUNK_BYTES;
    this.#sql.exec(
      "INSERT INTO log_inputs (id, source, codec, scale, weight, count, norm, received_at, first_at, payload, devices, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      input.id,
      input.source,
      input.codec,
      input.scale,
      input.weight,
      input.count,
      input.norm,
      now,
      input.firstAt ?? now,
      inline ? ownBuffer(input.payload) : null,
      input.devices ? JSON.stringify(input.devices) : null,
      input.version ?? null,
    );
    if (!inline) this.#blobs.put(`log:${input.id}`, input.payload);
    addTo(this.#open, input.codec, input.payload, { ...input, firstAt: input.firstAt ?? now });
    this.#openSince ??= now;
  }

  /** The children heard from, and the partials merged from them. */
  received(): { children: number; partials: number } {
    const row = this.#sql
      .exec<{ children: number; partials: number | null }>(
        "SELECT COUNT(*) AS children, SUM(merged) AS partials FROM log_received",
      )
      .one();
    return { children: row.children, partials: row.partials ?? 0 };
  }

  /**
   * Merges a child's sealed batch exactly once: (child, seq) is recorded in the same
   * transaction as the input, and a child sends its batches one at a time in sequence,
   * so anything at or below the child's last recorded seq is a resend whose ack was lost.
   * Returns false for such a resend. Call inside a storage transaction.
   */
  appendPartial(envelope: PartialEnvelope, now: number): boolean {
    const [last] = this.#sql
      .exec<{ last_seq: number }>("SELECT last_seq FROM log_received WHERE child = ?", envelope.child)
      .toArray();
    if (last && envelope.seq <= last.last_seq) return false;
    this.#sql.exec(
      `INSERT INTO log_received (child, last_seq, merged) VALUES (?, ?, 1)
       ON CONFLICT (child) DO UPDATE SET last_seq = excluded.last_seq, merged = merged + 1`,
      envelope.child,
      envelope.seq,
    );
    const { codec, payload } = envelope;
    this.append(
      {
        firstAt: envelope.firstAt,
        id: `${envelope.child}#${envelope.seq}`,
        source: envelope.child,
        codec,
        payload,
        scale: 1,
        weight: envelope.weight,
        count: envelope.count,
        devices: envelope.devices ?? undefined,
        norm: this.measure(codec, payload),
      },
      now,
    );
    return true;
  }

  /**
   * Returns the outstanding sealed batch, or seals the open inputs into a new one, for a
   * send attempt starting at `now`. Null when there is nothing to send. The attempt holds
   * a lease: until `now + SEND_LEASE_MS` the batch counts as in flight; past it (the
   * sender died mid-send, say, and the object was evicted) the batch is due again, so an
   * alarm set for that time resends it.
   */
  seal(
    now: number,
    metrics: (log: AggregationLog) => MetricSet = emptyMetrics,
    route: () => string | null = () => null,
  ): SealedBatch | null {
    const nextAttemptAt = now + SEND_LEASE_MS;
    if (this.#sealed) {
      this.#sealed.nextAttemptAt = nextAttemptAt;
      this.#sql.exec(
        "UPDATE log_batches SET next_attempt_at = ? WHERE seq = ?",
        nextAttemptAt,
        this.#sealed.seq,
      );
    } else {
      if (this.#open.inputs === 0) return null;
      const seq = this.#nextSeq();
      const sealed = metrics(this);
      const to = route();
      const upto = this.#sql.exec<{ upto: number }>("SELECT MAX(seqno) AS upto FROM log_inputs").one().upto;
      // Written with its first attempt's lease: one row write, not an insert and an update.
      this.#sql.exec(
        "INSERT INTO log_batches (seq, next_attempt_at, metrics, route, upto) VALUES (?, ?, ?, ?, ?)",
        seq,
        nextAttemptAt,
        JSON.stringify(sealed),
        to,
        upto,
      );
      this.#sql.exec("UPDATE log_state SET next_seq = ?", seq + 1);
      this.#sealed = { ...this.#open, seq, attempts: 0, nextAttemptAt, metrics: sealed, route: to, upto };
      this.#open = this.#running();
      this.#openSince = null;
    }
    const s = this.#sealed;
    return {
      seq: s.seq,
      attempts: s.attempts,
      weight: s.weight,
      count: s.count,
      devices: s.devices && Object.fromEntries(s.devices),
      sum: s.acc.snapshot(),
      firstAt: s.firstAt,
      bytes: s.bytes,
      metrics: s.metrics,
      route: s.route,
    };
  }

  /** The inputs of the open batch (null) or of a sealed one, in log order, with their payloads. */
  inputs(batch: number | null): (Omit<LogInput, "firstAt"> & { receivedAt: number })[] {
    const rows = this.#sql
      .exec<{
        id: string;
        source: string;
        codec: number;
        scale: number;
        weight: number;
        count: number;
        norm: number;
        received_at: number;
        payload: ArrayBuffer | null;
        version: number | null;
      }>(
        `SELECT id, source, codec, scale, weight, count, norm, received_at, payload, version FROM log_inputs
         WHERE seqno > ? AND seqno <= ? ORDER BY seqno`,
        ...this.#range(batch),
      )
      .toArray();
    return rows.map((r) => {
      const payload = r.payload ? new Uint8Array(r.payload) : this.#blobs.get(`log:${r.id}`);
      if (!payload) throw new Error(`log input ${r.id} has no payload`);
      return {
        id: r.id,
        source: r.source,
        codec: r.codec as CodecId,
        payload,
        scale: r.scale,
        weight: r.weight,
        count: r.count,
        norm: r.norm,
        receivedAt: r.received_at,
        version: r.version ?? undefined,
      };
    });
  }

  /** The ids and norms of the open batch's inputs (null) or of the sealed batch `batch`, in log order. */
  norms(batch: number | null): { id: string; norm: number }[] {
    return this.#sql
      .exec<{ id: string; norm: number }>(
        "SELECT id, norm FROM log_inputs WHERE seqno > ? AND seqno <= ? ORDER BY seqno",
        ...this.#range(batch),
      )
      .toArray();
  }

  /** Bytes the running sums hold (the open batch's and the sealed one's accumulators). */
  get memoryBytes(): number {
    return this.#open.acc.memoryBytes + (this.#sealed?.acc.memoryBytes ?? 0);
  }

  /** Inputs from `source` not yet acknowledged upstream (open or sealed). */
  inFlightFrom(source: string): number {
    return this.#sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_inputs WHERE source = ?", source)
      .one().n;
  }

  /** Device updates not yet acknowledged upstream (open or sealed). */
  get backlog(): number {
    return this.#open.count + (this.#sealed?.count ?? 0);
  }

  /** How long each input of the open batch has waited, in seconds, at `now`. */
  openWaits(now: number): number[] {
    return this.#sql
      .exec<{ received_at: number }>(
        "SELECT received_at FROM log_inputs WHERE seqno > ?",
        this.#sealed?.upto ?? 0,
      )
      .toArray()
      .map((r) => (now - r.received_at) / 1000);
  }

  /** The parent has the batch: forget its inputs. */
  acknowledge(seq: number): void {
    if (this.#sealed?.seq !== seq) return;
    const { upto } = this.#sealed;
    const large = this.#sql.exec<{ id: string }>(
      "SELECT id FROM log_inputs WHERE seqno <= ? AND payload IS NULL",
      upto,
    );
    for (const { id } of large) this.#blobs.delete(`log:${id}`);
    this.#sql.exec("DELETE FROM log_inputs WHERE seqno <= ?", upto);
    this.#sql.exec("DELETE FROM log_batches WHERE seq = ?", seq);
    this.#spare = this.#sealed.acc;
    this.#sealed = null;
  }

  /**
   * The parent refused the sealed batch for good: list its inputs with the reason, forget
   * their payloads and the batch, and let the next batch go. Returns the dead-lettered inputs.
   */
  deadLetter(seq: number, error: { code: string; message: string }, now: number): DeadLetter[] {
    if (this.#sealed?.seq !== seq) return [];
    this.#sql.exec(
      `INSERT OR IGNORE INTO log_dead_letters (id, source, count, weight, seq, code, message, at)
       SELECT id, source, count, weight, ?, ?, ?, ? FROM log_inputs WHERE seqno <= ?`,
      seq,
      error.code,
      error.message,
      now,
      this.#sealed.upto,
    );
    const letters = this.#sql.exec<DeadLetter>("SELECT * FROM log_dead_letters WHERE seq = ?", seq).toArray();
    this.acknowledge(seq);
    return letters;
  }

  /** Dead-lettered inputs, newest first. */
  deadLetters(limit = 100): DeadLetter[] {
    return this.#sql
      .exec<DeadLetter>("SELECT * FROM log_dead_letters ORDER BY at DESC, id LIMIT ?", limit)
      .toArray();
  }

  /** Totals over every dead-lettered input: rows, device updates, batches. */
  deadLetterTotals(): { inputs: number; updates: number; batches: number } {
    const [row] = this.#sql
      .exec<{ inputs: number; updates: number | null; batches: number }>(
        "SELECT COUNT(*) AS inputs, SUM(count) AS updates, COUNT(DISTINCT seq) AS batches FROM log_dead_letters",
      )
      .toArray();
    return { inputs: row?.inputs ?? 0, updates: row?.updates ?? 0, batches: row?.batches ?? 0 };
  }

  /** Records a failed send of the sealed batch; returns when to try again. */
  recordFailure(seq: number, now: number): number {
    const s = this.#sealed;
    if (s?.seq !== seq) return now;
    s.attempts += 1;
    s.nextAttemptAt = now + retryDelayMs(s.attempts);
    this.#sql.exec(
      "UPDATE log_batches SET attempts = ?, next_attempt_at = ? WHERE seq = ?",
      s.attempts,
      s.nextAttemptAt,
      seq,
    );
    return s.nextAttemptAt;
  }

  /** The seqnos (after, upto] of the open batch (null) or of the sealed batch `seq`; empty for any other. */
  #range(batch: number | null): [number, number] {
    const sealed = this.#sealed;
    if (batch === null) return [sealed?.upto ?? 0, Number.MAX_SAFE_INTEGER];
    return sealed?.seq === batch ? [0, sealed.upto] : [0, 0];
  }

  #running(): Running {
    const acc = this.#spare ?? this.#backend.createAccumulator(this.#dim);
    this.#spare = null;
    acc.reset();
    return {
      acc,
      weight: 0,
      count: 0,
      devices: new Map(),
      inputs: 0,
      magnitude: 0,
      firstAt: Number.POSITIVE_INFINITY,
      bytes: 0,
    };
  }

  #rebuild(): void {
    const [batch] = this.#sql
      .exec<{
        seq: number;
        attempts: number;
        next_attempt_at: number;
        metrics: string;
        route: string | null;
        upto: number;
      }>("SELECT * FROM log_batches ORDER BY seq LIMIT 1")
      .toArray();
    if (batch) {
      this.#sealed = {
        ...this.#running(),
        seq: batch.seq,
        attempts: batch.attempts,
        nextAttemptAt: batch.next_attempt_at,
        metrics: JSON.parse(batch.metrics) as MetricSet,
        route: batch.route ?? null,
        upto: batch.upto,
      };
    }
    const rows = this.#sql.exec<{
      seqno: number;
      id: string;
      devices: string | null;
      codec: number;
      scale: number;
      weight: number;
      count: number;
      norm: number;
      received_at: number;
      first_at: number;
      payload: ArrayBuffer | null;
    }>(
      "SELECT seqno, id, devices, codec, scale, weight, count, norm, received_at, first_at, payload FROM log_inputs ORDER BY seqno",
    );
    for (const row of rows) {
      const payload = row.payload ? new Uint8Array(row.payload) : this.#blobs.get(`log:${row.id}`);
      if (!payload) throw new Error(`log input ${row.id} has no payload`);
      const open = !this.#sealed || row.seqno > this.#sealed.upto;
      const target = open ? this.#open : this.#sealed!;
      const devices = row.devices === null ? undefined : (JSON.parse(row.devices) as DeviceCounts);
      addTo(target, row.codec, payload, { ...row, devices, firstAt: row.first_at });
      if (open) this.#openSince ??= row.received_at;
    }
  }
}

/** The bytes of a view as an ArrayBuffer of their own (what SQLite binds as a BLOB). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
}

/** Adds scale × the payload's values to a running sum, in log order (so a rebuild is bit-identical). */
function addTo(
  r: Running,
  codec: number,
  payload: Uint8Array,
  input: {
    devices?: DeviceCounts | undefined;
    scale: number;
    weight: number;
    count: number;
    norm: number;
    firstAt: number;
  },
): void {
  r.firstAt = Math.min(r.firstAt, input.firstAt);
  if (!input.devices) r.devices = null;
  else if (r.devices)
    for (const [d, n] of Object.entries(input.devices)) r.devices.set(d, (r.devices.get(d) ?? 0) + n);
  r.acc.accumulate({ codec, payload }, input.scale);
  r.weight += input.weight;
  r.count += input.count;
  r.inputs += 1;
  r.bytes += payload.byteLength;
  r.magnitude += Math.abs(input.scale) * input.norm;
}
