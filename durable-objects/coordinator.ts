/**
 * Top tier: one object per task. Owns the task's configuration, the current model,
 * and the round. Merges region partials exactly once; when a round has its target
 * number of updates (or its deadline passes with at least minUpdates), applies the
 * server optimizer, writes the new weights to R2 under a versioned key, and only then
 * commits the new version and drops the round's inputs from its log.
 */
import { DurableObject } from "cloudflare:workers";
import {
  createOptimizer,
  initialState,
  type OptimizerState,
  pseudoGradient,
  type ServerOptimizer,
} from "../shared/aggregation/index";
import { initialWeights } from "../shared/model-init";
import { toHex } from "../shared/protocol/frame";
import { immutableChange, type TaskConfig } from "../shared/protocol/task-config";
import type { Region } from "../shared/regions";
import { wasmBackend } from "../wasm/index";
import type { PartialAck, PartialEnvelope } from "./partial";
import { AggregationLog } from "./storage/aggregation-log";
import { setEarliestAlarm } from "./storage/alarm";
import { BlobStore } from "./storage/blob-store";
import { Meta } from "./storage/meta";
import { directoryStub } from "./stubs";

export interface TaskRecord {
  id: string;
  config: TaskConfig;
  /** 8 hex digits: the frame's bytes 40..43 (see task-config.ts). */
  layoutHash: string;
  createdAt: string;
}

export interface ModelManifest {
  task: string;
  version: number;
  parameters: number;
  layoutHash: string;
  byteLength: number;
  /** Hex SHA-256 of the weights blob. */
  sha256: string;
  /** R2 key of the weights blob. */
  key: string;
  createdAt: string;
  /** The round whose updates produced this version (0 for the initial model). */
  fromRound: number;
  /** Device updates aggregated into this version. */
  updates: number;
}

export interface RoundState {
  round: number;
  openedAt: number;
  deadlineAt: number;
}

/** The task's ONNX graph, whose initializers are the weights blob (stored content-addressed in R2). */
export interface GraphInfo {
  sha256: string;
  byteLength: number;
  key: string;
}

export const graphKey = (task: string, sha256: string) => `models/${task}/graph/${sha256}.onnx`;

export interface TaskView {
  task: TaskRecord;
  graph: GraphInfo | null;
  model: ModelManifest;
  round: RoundState & { updates: number; publishing: boolean };
  optimizer: { kind: string; step: number };
}

export interface VersionEvaluation {
  version: number;
  /** Devices that reported on this version. */
  reports: number;
  examples: number;
  /** Example-weighted means. */
  loss: number;
  accuracy: number;
}

export type CreateTaskResult =
  | { ok: true; created: boolean; view: TaskView }
  | { ok: false; message: string };

export const weightsKey = (task: string, version: number) => `models/${task}/v${version}.bin`;
export const manifestKey = (task: string, version: number) => `models/${task}/v${version}.json`;

export class Coordinator extends DurableObject<Env> {
  readonly #meta: Meta;
  readonly #blobs: BlobStore;
  #log: AggregationLog | null = null;
  #weights: Float32Array | null = null;
  #publishing: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#meta = new Meta(ctx.storage.sql);
    this.#blobs = new BlobStore(ctx.storage.sql);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS rounds (
      round INTEGER PRIMARY KEY, version INTEGER NOT NULL, updates INTEGER NOT NULL,
      weight REAL NOT NULL, opened_at INTEGER NOT NULL, closed_at INTEGER NOT NULL)`);
  }

  /**
   * Creates the task with its version-0 model, or updates the mutable parts (optimizer,
   * round policy, clusters, placement) of an existing one. The model itself cannot change.
   */
  createTask(id: string, config: TaskConfig, layoutHash: string): Promise<CreateTaskResult> {
    // Creation awaits R2; no other request may see (or race) a half-created task.
    return this.ctx.blockConcurrencyWhile(() => this.#createTask(id, config, layoutHash));
  }

  async #createTask(id: string, config: TaskConfig, layoutHash: string): Promise<CreateTaskResult> {
    const existing = this.#meta.get<TaskRecord>("task");
    if (existing) {
      const changed = immutableChange(existing.config, config, [existing.layoutHash, layoutHash]);
      if (changed)
        return { ok: false, message: `task "${id}" exists; ${changed} cannot change once a task is created` };
      const updated = { ...existing, config };
      this.#meta.set("task", updated);
      return { ok: true, created: false, view: this.#view(updated) };
    }
    const now = Date.now();
    const weights = initialWeights(config.model);
    const manifest = await this.#putModel(id, layoutHash, 0, weights, { fromRound: 0, updates: 0 }, now);
    const task: TaskRecord = { id, config, layoutHash, createdAt: new Date(now).toISOString() };
    this.ctx.storage.transactionSync(() => {
      this.#meta.set("task", task);
      this.#meta.set("model", manifest);
      this.#meta.set("round", this.#newRound(1, now, config));
    });
    this.#weights = weights;
    return { ok: true, created: true, view: this.#view(task) };
  }

  async getTask(): Promise<TaskView | null> {
    const task = this.#meta.get<TaskRecord>("task");
    if (!task) return null;
    this.#renewIdleRound(task);
    return this.#view(task);
  }

  /** Records the task's current graph (already written to R2 under its content address). */
  async setGraph(graph: GraphInfo): Promise<TaskView> {
    const task = this.#requireTask();
    this.#meta.set("graph", graph);
    return this.#view(task);
  }

  /** Called by a region's Directory when it creates its first cluster: the regions to ask for evaluations. */
  async noteRegion(region: Region): Promise<void> {
    const regions = this.#meta.get<Region[]>("regions") ?? [];
    if (!regions.includes(region)) this.#meta.set("regions", [...regions, region]);
  }

  /**
   * Federated evaluation per version: the example-weighted mean loss and accuracy the
   * devices reported on their local holdouts, gathered from each region's Directory
   * (one small read per region, at most nine) when asked, rather than pushed here per device.
   */
  async evaluations(): Promise<VersionEvaluation[]> {
    const task = this.#requireTask();
    const regions = this.#meta.get<Region[]>("regions") ?? [];
    const perRegion = await Promise.all(
      regions.map((r) => directoryStub(this.env, task.id, r).evaluationTotals()),
    );
    const byVersion = new Map<
      number,
      { examples: number; lossSum: number; accuracySum: number; reports: number }
    >();
    for (const rows of perRegion) {
      for (const row of rows) {
        const t = byVersion.get(row.version) ?? { examples: 0, lossSum: 0, accuracySum: 0, reports: 0 };
        t.examples += row.examples;
        t.lossSum += row.lossSum;
        t.accuracySum += row.accuracySum;
        t.reports += row.reports;
        byVersion.set(row.version, t);
      }
    }
    return [...byVersion.entries()]
      .sort(([a], [b]) => a - b)
      .map(([version, t]) => ({
        version,
        examples: t.examples,
        reports: t.reports,
        loss: t.lossSum / t.examples,
        accuracy: t.accuracySum / t.examples,
      }));
  }

  /** Merges a region's batch exactly once, and closes the round when it has its target. */
  async ingestPartial(envelope: PartialEnvelope): Promise<PartialAck> {
    const task = this.#requireTask();
    const log = this.#logFor(task);
    const merged = this.ctx.storage.transactionSync(() => log.appendPartial(envelope, Date.now()));
    if (this.#stepDue(task, log)) void this.#publish(task);
    else await this.#schedule(task);
    return { merged };
  }

  override async alarm(): Promise<void> {
    const task = this.#meta.get<TaskRecord>("task");
    if (!task) return;
    const log = this.#logFor(task);
    const now = Date.now();
    const round = this.#round();
    const pending = log.pending;
    if (pending) {
      // The alarm is set for the retry time, so the failed publication is due.
      await this.#publish(task);
    } else if (
      task.config.aggregation.mode === "sync" &&
      !pending &&
      log.openInputs > 0 &&
      now >= round.deadlineAt
    ) {
      if (log.openCount >= task.config.round.minUpdates) await this.#publish(task);
      else this.#meta.set("round", { ...round, deadlineAt: now + task.config.round.deadlineSeconds * 1000 });
    }
    await this.#schedule(task);
  }

  /** Closes the open round (or retries the one whose publication failed). Concurrent callers share one run. */
  #publish(task: TaskRecord): Promise<void> {
    this.#publishing ??= this.#closeRound(task).finally(() => {
      this.#publishing = null;
    });
    return this.#publishing;
  }

  async #closeRound(task: TaskRecord): Promise<void> {
    const log = this.#logFor(task);
    const batch = this.ctx.storage.transactionSync(() => log.seal(Date.now()));
    if (!batch) return;
    // Covers the publication: if this object dies mid-way, the alarm at the lease's end retries it.
    await this.#schedule(task);
    const model = this.#model();
    const round = this.#round();
    try {
      const current = await this.#currentWeights(task, model);
      const optimizer = createOptimizer(task.config.optimizer);
      const state = this.#loadOptimizerState(optimizer, current.length);
      const next = optimizer.apply(current, pseudoGradient(batch), state);
      const now = Date.now();
      const version = model.version + 1;
      const manifest = await this.#putModel(
        task.id,
        task.layoutHash,
        version,
        next,
        {
          fromRound: round.round,
          updates: batch.count,
        },
        now,
      );
      this.ctx.storage.transactionSync(() => {
        log.acknowledge(batch.seq);
        this.#saveOptimizerState(optimizer, state);
        this.#meta.set("model", manifest);
        this.#meta.set("round", this.#newRound(round.round + 1, now, task.config));
        this.ctx.storage.sql.exec(
          "INSERT INTO rounds (round, version, updates, weight, opened_at, closed_at) VALUES (?, ?, ?, ?, ?, ?)",
          round.round,
          version,
          batch.count,
          batch.weight,
          round.openedAt,
          now,
        );
      });
      this.#weights = next;
    } catch (err) {
      const retryAt = this.ctx.storage.transactionSync(() => log.recordFailure(batch.seq, Date.now()));
      console.error(
        `coordinator ${task.id}: publishing round ${round.round} failed, retrying at ${new Date(retryAt).toISOString()}:`,
        err,
      );
    } finally {
      await this.#schedule(task);
    }
    // Partials that arrived while publishing may already complete the next round.
    if (!log.pending && this.#stepDue(task, log)) void this.#publish(task);
  }

  /** Sync: the round has its target; async: the buffer holds K updates (FedBuff). */
  #stepDue(task: TaskRecord, log: AggregationLog): boolean {
    const a = task.config.aggregation;
    return log.openCount >= (a.mode === "async" ? a.bufferSize : task.config.round.targetUpdates);
  }

  /**
   * A fresh copy of the persisted optimizer state, so that a failed publication leaves
   * the stored state untouched. Moments are stored in 1 MiB chunks (rows hold ≤ 2 MB).
   */
  #loadOptimizerState(optimizer: ServerOptimizer, dim: number): OptimizerState {
    const saved = this.#meta.get<{ kind: string; step: number }>("optimizer");
    if (!saved || saved.kind !== optimizer.kind) return initialState(optimizer, dim);
    const state: OptimizerState = { step: saved.step, slots: {} };
    for (const name of optimizer.slots) {
      const bytes = this.#blobs.get(`optimizer:${name}`);
      if (!bytes || bytes.byteLength !== dim * 4)
        throw new Error(`optimizer slot ${name} is missing or has the wrong size`);
      state.slots[name] = new Float32Array(bytes.buffer, bytes.byteOffset, dim).slice();
    }
    return state;
  }

  #saveOptimizerState(optimizer: ServerOptimizer, state: OptimizerState): void {
    this.#meta.set("optimizer", { kind: optimizer.kind, step: state.step });
    for (const name of optimizer.slots) {
      const values = state.slots[name] as Float32Array;
      this.#blobs.put(
        `optimizer:${name}`,
        new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      );
    }
  }

  /** Writes a version's weights and manifest to R2. Keys are immutable per version, so a retry rewrites identical bytes. */
  async #putModel(
    task: string,
    layoutHash: string,
    version: number,
    weights: Float32Array,
    origin: { fromRound: number; updates: number },
    now: number,
  ): Promise<ModelManifest> {
    const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
    const sha256 = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
    const manifest: ModelManifest = {
      task,
      version,
      parameters: weights.length,
      layoutHash,
      byteLength: bytes.byteLength,
      sha256,
      key: weightsKey(task, version),
      createdAt: new Date(now).toISOString(),
      ...origin,
    };
    await this.env.MODELS.put(manifest.key, bytes, {
      sha256,
      httpMetadata: { contentType: "application/octet-stream" },
      customMetadata: { version: String(version) },
    });
    await this.env.MODELS.put(manifestKey(task, version), JSON.stringify(manifest), {
      httpMetadata: { contentType: "application/json" },
    });
    return manifest;
  }

  async #currentWeights(task: TaskRecord, model: ModelManifest): Promise<Float32Array> {
    if (this.#weights?.length === model.parameters) return this.#weights;
    const object = await this.env.MODELS.get(model.key);
    if (!object)
      throw new Error(`weights for ${task.id} v${model.version} are missing from R2 (${model.key})`);
    const buffer = await object.arrayBuffer();
    if (buffer.byteLength !== model.byteLength) {
      throw new Error(`${model.key} has ${buffer.byteLength} bytes, manifest says ${model.byteLength}`);
    }
    this.#weights = new Float32Array(buffer);
    return this.#weights;
  }

  /** A round nobody has contributed to does not expire: its deadline moves forward when read. */
  #renewIdleRound(task: TaskRecord): void {
    const round = this.#round();
    const now = Date.now();
    const log = this.#logFor(task);
    if (now >= round.deadlineAt && log.openInputs === 0 && !log.pending) {
      this.#meta.set("round", { ...round, deadlineAt: now + task.config.round.deadlineSeconds * 1000 });
    }
  }

  async #schedule(task: TaskRecord): Promise<void> {
    const log = this.#logFor(task);
    const times = log.pending ? [log.pending.nextAttemptAt] : [];
    if (!log.pending && log.openInputs > 0 && task.config.aggregation.mode === "sync") {
      times.push(this.#round().deadlineAt);
    }
    await setEarliestAlarm(this.ctx.storage, times);
  }

  #newRound(round: number, now: number, config: TaskConfig): RoundState {
    return { round, openedAt: now, deadlineAt: now + config.round.deadlineSeconds * 1000 };
  }

  #view(task: TaskRecord): TaskView {
    const log = this.#logFor(task);
    return {
      task,
      graph: this.#meta.get<GraphInfo>("graph") ?? null,
      model: this.#model(),
      round: { ...this.#round(), updates: log.openCount, publishing: log.pending !== null },
      optimizer: {
        kind: task.config.optimizer.kind,
        step: this.#meta.get<{ step: number }>("optimizer")?.step ?? 0,
      },
    };
  }

  #requireTask(): TaskRecord {
    const task = this.#meta.get<TaskRecord>("task");
    if (!task) throw new Error(`coordinator ${this.ctx.id} has no task`);
    return task;
  }

  #logFor(task: TaskRecord): AggregationLog {
    this.#log ??= new AggregationLog(
      this.ctx.storage.sql,
      this.#blobs,
      wasmBackend,
      task.config.model.parameters,
    );
    return this.#log;
  }

  #model(): ModelManifest {
    const model = this.#meta.get<ModelManifest>("model");
    if (!model) throw new Error("task has no model");
    return model;
  }

  #round(): RoundState {
    const round = this.#meta.get<RoundState>("round");
    if (!round) throw new Error("task has no round");
    return round;
  }
}
