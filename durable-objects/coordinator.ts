/**
 * Top tier: one object per task. Owns the task's configuration, the current model,
 * and the round. Merges region partials exactly once; when a round has its target
 * number of updates (or its deadline passes with at least minUpdates), applies the
 * server optimizer, writes the new weights to R2 under a versioned key, and only then
 * commits the new version and drops the round's inputs from its log. Closing a round is
 * the flush machine's delivery (./flush-machine.ts), as flushing is for the tiers below:
 * a failed publication is retried with backoff, and a step that would make the model
 * non-finite is refused for good and its inputs dead-lettered.
 *
 * An object asked about a task it does not have creates no storage.
 */
import { DurableObject } from "cloudflare:workers";
import {
  createOptimizer,
  initialState,
  type OptimizerState,
  pseudoGradient,
  type ServerOptimizer,
} from "../shared/aggregation/index";
import { FedgeError } from "../shared/errors";
import { emptyMetrics, type MetricSet, merge } from "../shared/metrics/metric-set";
import { count, record } from "../shared/metrics/record";
import { initialWeights } from "../shared/model-init";
import { toHex } from "../shared/protocol/frame";
import { immutableChange, type TaskConfig } from "../shared/protocol/task-config";
import type { Region } from "../shared/regions";
import { attempt, fail, ok, type Result } from "../shared/result";
import { wasmBackend } from "../wasm/index";
import type { RegionShape } from "./directory";
import { type Due, FlushMachine } from "./flush-machine";
import type { PartialAck, PartialEnvelope } from "./partial";
import { AggregationLog, type SealedBatch } from "./storage/aggregation-log";
import { BlobStore } from "./storage/blob-store";
import { Meta } from "./storage/meta";
import { directoryStub, regionStub } from "./stubs";

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
  /** For a version published by a rollback: the version whose weights it republishes. */
  rollbackOf: number | null;
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

export interface VersionRecord {
  version: number;
  round: number;
  updates: number;
  weight: number;
  createdAt: string;
  rollbackOf: number | null;
}

/** A batch that a tier dead-lettered: its parent refused it for good (docs/architecture.md#dead-letters). */
export interface DeadLetterReport {
  /** The tier that held the batch: a cluster, a region, or the coordinator itself. */
  tier: string;
  seq: number;
  /** Device updates in the batch. */
  updates: number;
  /** Its inputs' sources: device ids at a cluster, cluster names at a region, region names at the coordinator. */
  sources: string[];
  code: string;
  message: string;
  at: number;
}

/** Where the task's acknowledged updates are: what a load test reconciles its 202s against. */
export interface UpdateTotals {
  /** Device updates in every published version. */
  published: number;
  /** In the coordinator's open round, or in a round being published. */
  coordinator: number;
  /** Per region: in the region aggregator's open batch, or in its batch being sent. */
  regions: Partial<Record<Region, number>>;
}

/** The admin view: the task view, the latest versions, dead letters and evaluations. */
export interface AdminTaskView extends TaskView {
  totals: UpdateTotals;
  versions: VersionRecord[];
  deadLetters: { batches: number; updates: number; recent: DeadLetterReport[] };
  evaluations: VersionEvaluation[];
}

/** How many of the latest versions the admin view lists. */
export const LISTED_VERSIONS = 20;
/** How many of the latest versions monitoring sees (the dashboard's time axis). */
export const MONITORED_VERSIONS = 200;

/** What monitoring needs from the coordinator, in one call: shared/metrics/status.ts turns it into the status. */
export interface MonitoringSnapshot {
  view: TaskView;
  metrics: MetricSet;
  versions: VersionRecord[];
  evaluations: VersionEvaluation[];
  regions: Partial<Record<Region, RegionShape>>;
  deadLetteredUpdates: number;
}

export const weightsKey = (task: string, version: number) => `models/${task}/v${version}.bin`;
export const manifestKey = (task: string, version: number) => `models/${task}/v${version}.json`;

/** The coordinator's storage, opened only for a task that exists or is being created. */
interface Store {
  meta: Meta;
  blobs: BlobStore;
}

export class Coordinator extends DurableObject<Env> {
  #store: Store | null = null;
  #log: AggregationLog | null = null;
  #machine: FlushMachine | null = null;
  #metricsCache: MetricSet | null = null;
  /** The current model's weights, by version (a cache of R2). */
  #weights: { version: number; values: Float32Array } | null = null;

  /**
   * Creates the task with its version-0 model, or updates the mutable parts (optimizer,
   * round policy, clusters, limits, placement) of an existing one. The model itself cannot change.
   */
  createTask(
    id: string,
    config: TaskConfig,
    layoutHash: string,
  ): Promise<Result<{ created: boolean; view: TaskView }>> {
    // Creation awaits R2; no other request may see (or race) a half-created task.
    return this.ctx.blockConcurrencyWhile(() => attempt(() => this.#createTask(id, config, layoutHash)));
  }

  async #createTask(
    id: string,
    config: TaskConfig,
    layoutHash: string,
  ): Promise<{ created: boolean; view: TaskView }> {
    const { meta } = this.#open();
    const existing = meta.get<TaskRecord>("task");
    if (existing) {
      const changed = immutableChange(existing.config, config, [existing.layoutHash, layoutHash]);
      if (changed) {
        throw new FedgeError(
          "task_conflict",
          `task "${id}" exists; ${changed} cannot change once a task is created`,
        );
      }
      const updated = { ...existing, config };
      meta.set("task", updated);
      return { created: false, view: this.#view(updated) };
    }
    const now = Date.now();
    const weights = initialWeights(config.model);
    const manifest = await this.#putModel(
      id,
      layoutHash,
      0,
      weights,
      { fromRound: 0, updates: 0, rollbackOf: null },
      now,
    );
    const task: TaskRecord = { id, config, layoutHash, createdAt: new Date(now).toISOString() };
    this.ctx.storage.transactionSync(() => {
      meta.set("task", task);
      meta.set("model", manifest);
      meta.set("round", this.#newRound(1, now, config));
    });
    this.#weights = { version: 0, values: weights };
    return { created: true, view: this.#view(task) };
  }

  async getTask(): Promise<TaskView | null> {
    const task = this.#task();
    if (!task) return null;
    this.#renewIdleRound(task);
    return this.#view(task);
  }

  /** The admin view: the task view plus the latest versions, dead letters and evaluations. */
  async adminView(): Promise<Result<AdminTaskView>> {
    return attempt(async () => {
      const task = this.#requireTask();
      const versions = this.#versions(LISTED_VERSIONS);
      const [totals] = this.ctx.storage.sql
        .exec<{ batches: number; updates: number | null }>(
          "SELECT COUNT(*) AS batches, SUM(updates) AS updates FROM dead_letters",
        )
        .toArray();
      const recent = this.ctx.storage.sql
        .exec<{
          tier: string;
          seq: number;
          updates: number;
          sources: string;
          code: string;
          message: string;
          at: number;
        }>("SELECT * FROM dead_letters ORDER BY at DESC LIMIT 20")
        .toArray()
        .map((r) => ({ ...r, sources: JSON.parse(r.sources) as string[] }));
      return {
        ...this.#view(task),
        totals: await this.#totals(task),
        versions,
        deadLetters: { batches: totals?.batches ?? 0, updates: totals?.updates ?? 0, recent },
        evaluations: await this.#evaluations(task),
      };
    });
  }

  /** Everything monitoring shows, gathered in one call (the regions' Directories are read, at most nine). */
  async monitoring(): Promise<Result<MonitoringSnapshot>> {
    return attempt(async () => {
      const task = this.#requireTask();
      const regions = this.#open().meta.get<Region[]>("regions") ?? [];
      const shapes = await Promise.all(regions.map((r) => directoryStub(this.env, task.id, r).shape()));
      const [dead] = this.ctx.storage.sql
        .exec<{ updates: number | null }>("SELECT SUM(updates) AS updates FROM dead_letters")
        .toArray();
      return {
        view: this.#view(task),
        metrics: this.#metrics(),
        versions: this.#versions(MONITORED_VERSIONS),
        evaluations: await this.#evaluations(task),
        regions: Object.fromEntries(regions.map((r, i) => [r, shapes[i]!])),
        deadLetteredUpdates: dead?.updates ?? 0,
      };
    });
  }

  /** The latest `limit` versions, newest first. */
  #versions(limit: number): VersionRecord[] {
    return this.ctx.storage.sql
      .exec<{
        version: number;
        round: number;
        updates: number;
        weight: number;
        created_at: number;
        rollback_of: number | null;
      }>("SELECT * FROM versions ORDER BY version DESC LIMIT ?", limit)
      .toArray()
      .map((r) => ({
        version: r.version,
        round: r.round,
        updates: r.updates,
        weight: r.weight,
        createdAt: new Date(r.created_at).toISOString(),
        rollbackOf: r.rollback_of,
      }));
  }

  /** Records the task's current graph (already written to R2 under its content address). */
  async setGraph(graph: GraphInfo): Promise<Result<TaskView>> {
    return attempt(() => {
      const task = this.#requireTask();
      this.#open().meta.set("graph", graph);
      return this.#view(task);
    });
  }

  /** Called by a region's Directory at its first registration: the regions to ask for evaluations. */
  async noteRegion(region: Region): Promise<void> {
    if (!this.#task()) return;
    const { meta } = this.#open();
    const regions = meta.get<Region[]>("regions") ?? [];
    if (!regions.includes(region)) meta.set("regions", [...regions, region]);
  }

  /** Records a tier's dead-lettered batch for the admin view, once per (tier, seq). */
  async recordDeadLetters(report: DeadLetterReport): Promise<void> {
    if (!this.#task()) return;
    this.#storeDeadLetters(report);
  }

  #storeDeadLetters(report: DeadLetterReport): void {
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO dead_letters (tier, seq, updates, sources, code, message, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      report.tier,
      report.seq,
      report.updates,
      JSON.stringify(report.sources),
      report.code,
      report.message,
      report.at,
    );
  }

  /** Merges a region's batch exactly once; closes the round in the background when it has its target. */
  async ingestPartial(envelope: PartialEnvelope): Promise<Result<PartialAck>> {
    return attempt(async () => {
      const task = this.#requireTask();
      const log = this.#logFor(task);
      const merged = this.ctx.storage.transactionSync(() => {
        const fresh = log.appendPartial(envelope, Date.now());
        if (fresh) this.#persistMetrics(merge(this.#metrics(), envelope.metrics));
        return fresh;
      });
      await this.#machineFor(task).admit();
      return { merged };
    });
  }

  /**
   * Publishes the weights of an earlier version as a new version (R2 keeps every
   * version). The optimizer's state is reset, since its moments were built on the
   * versions being rolled back, and a new round opens. Waits for a publication in
   * progress, and nothing else runs meanwhile.
   */
  rollback(target: number): Promise<Result<ModelManifest>> {
    return this.ctx.blockConcurrencyWhile(() =>
      attempt(async () => {
        const task = this.#requireTask();
        await this.#machineFor(task).settled();
        const model = this.#model();
        if (!Number.isInteger(target) || target < 0 || target > model.version) {
          throw new FedgeError(
            "version_not_found",
            `task "${task.id}" has versions 0 to ${model.version}; cannot roll back to ${target}`,
          );
        }
        const weights = await this.#readWeights(task, {
          ...model,
          version: target,
          key: weightsKey(task.id, target),
        });
        const now = Date.now();
        const round = this.#round();
        const version = model.version + 1;
        const manifest = await this.#putModel(
          task.id,
          task.layoutHash,
          version,
          weights,
          { fromRound: round.round, updates: 0, rollbackOf: target },
          now,
        );
        const { meta, blobs } = this.#open();
        this.ctx.storage.transactionSync(() => {
          meta.set("optimizer", { kind: task.config.optimizer.kind, step: 0 });
          for (const name of createOptimizer(task.config.optimizer).slots) blobs.delete(`optimizer:${name}`);
          this.#commitVersion(task, manifest, round, 0, now, target);
        });
        this.#weights = { version, values: weights };
        return manifest;
      }),
    );
  }

  override async alarm(): Promise<void> {
    const task = this.#task();
    if (!task) return;
    await this.#machineFor(task).run();
  }

  /**
   * When the open round is due: sync — it has targetUpdates, or its deadline has passed
   * with at least minUpdates (with fewer, the deadline moves on by one period); async —
   * the buffer holds K updates (FedBuff).
   */
  #due(task: TaskRecord, log: AggregationLog, now: number): Due {
    const a = task.config.aggregation;
    if (a.mode === "async") return log.openCount >= a.bufferSize ? true : null;
    const policy = task.config.round;
    if (log.openCount >= policy.targetUpdates) return true;
    const round = this.#round();
    if (now < round.deadlineAt) return round.deadlineAt;
    if (log.openCount >= policy.minUpdates) return true;
    const deadlineAt = now + policy.deadlineSeconds * 1000;
    this.#open().meta.set("round", { ...round, deadlineAt });
    return deadlineAt;
  }

  /**
   * Closes the round: one optimizer step on the sealed batch, the new weights and
   * manifest written to R2; the version itself is committed in the transaction that
   * acknowledges the batch. A step that is not finite is refused for good.
   */
  async #publish(task: TaskRecord, batch: SealedBatch): Promise<Result<(() => void) | undefined>> {
    const started = Date.now();
    const model = this.#model();
    const round = this.#round();
    const current = await this.#currentWeights(task, model);
    const optimizer = createOptimizer(task.config.optimizer);
    const state = this.#loadOptimizerState(optimizer, current.length);
    const next = optimizer.apply(current, pseudoGradient(batch), state);
    const bad = next.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      return fail(
        "aggregate_overflow",
        `round ${round.round}'s ${optimizer.kind} step makes parameter ${bad} ${next[bad]}; the model stays at version ${model.version}`,
      );
    }
    const now = Date.now();
    const version = model.version + 1;
    const manifest = await this.#putModel(
      task.id,
      task.layoutHash,
      version,
      next,
      { fromRound: round.round, updates: batch.count, rollbackOf: null },
      now,
    );
    return ok(() => {
      this.#saveOptimizerState(optimizer, state);
      this.#commitVersion(task, manifest, round, batch.weight, now, null);
      this.#weights = { version, values: next };
      const m = this.#metrics();
      record(m, "fedge_stage_duration_seconds", (now - started) / 1000, { stage: "coordinator_apply" });
      record(m, "fedge_stage_duration_seconds", (now - batch.firstAt) / 1000, { stage: "end_to_end" });
      count(m, "fedge_versions_published_total");
      this.#persistMetrics(m);
    });
  }

  /** Makes `manifest` the current version and opens the next round. Call inside a transaction. */
  #commitVersion(
    task: TaskRecord,
    manifest: ModelManifest,
    round: RoundState,
    weight: number,
    now: number,
    rollbackOf: number | null,
  ): void {
    const { meta } = this.#open();
    meta.set("model", manifest);
    meta.set("round", this.#newRound(round.round + 1, now, task.config));
    this.ctx.storage.sql.exec(
      "INSERT INTO versions (version, round, updates, weight, opened_at, created_at, rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?)",
      manifest.version,
      round.round,
      manifest.updates,
      weight,
      round.openedAt,
      now,
      rollbackOf,
    );
  }

  /** Updates published, in this object's log, and in each region's (one small read per region, at most nine). */
  async #totals(task: TaskRecord): Promise<UpdateTotals> {
    const log = this.#logFor(task);
    const [row] = this.ctx.storage.sql
      .exec<{ published: number | null }>("SELECT SUM(updates) AS published FROM versions")
      .toArray();
    const regions = this.#open().meta.get<Region[]>("regions") ?? [];
    const statuses = await Promise.all(regions.map((r) => regionStub(this.env, task.id, r).status()));
    return {
      published: row?.published ?? 0,
      coordinator: log.openCount + (log.pending?.updates ?? 0),
      regions: Object.fromEntries(
        regions.map((r, i) => [r, statuses[i]!.openUpdates + (statuses[i]!.pending?.updates ?? 0)]),
      ),
    };
  }

  /** Federated evaluation per version, gathered from each region's Directory (at most nine reads). */
  async #evaluations(task: TaskRecord): Promise<VersionEvaluation[]> {
    const regions = this.#open().meta.get<Region[]>("regions") ?? [];
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

  /**
   * A fresh copy of the persisted optimizer state, so that a failed publication leaves
   * the stored state untouched. Moments are stored in 1 MiB chunks (rows hold ≤ 2 MB).
   */
  #loadOptimizerState(optimizer: ServerOptimizer, dim: number): OptimizerState {
    const { meta, blobs } = this.#open();
    const saved = meta.get<{ kind: string; step: number }>("optimizer");
    if (!saved || saved.kind !== optimizer.kind) return initialState(optimizer, dim);
    const state: OptimizerState = { step: saved.step, slots: {} };
    for (const name of optimizer.slots) {
      const bytes = blobs.get(`optimizer:${name}`);
      // A rollback resets the moments: a missing slot after a saved step is a fresh start.
      if (!bytes) return { ...initialState(optimizer, dim), step: saved.step };
      if (bytes.byteLength !== dim * 4) throw new Error(`optimizer slot ${name} has the wrong size`);
      state.slots[name] = new Float32Array(bytes.buffer, bytes.byteOffset, dim).slice();
    }
    return state;
  }

  #saveOptimizerState(optimizer: ServerOptimizer, state: OptimizerState): void {
    const { meta, blobs } = this.#open();
    meta.set("optimizer", { kind: optimizer.kind, step: state.step });
    for (const name of optimizer.slots) {
      const values = state.slots[name] as Float32Array;
      blobs.put(`optimizer:${name}`, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }

  /** Writes a version's weights and manifest to R2. Keys are immutable per version, so a retry rewrites identical bytes. */
  async #putModel(
    task: string,
    layoutHash: string,
    version: number,
    weights: Float32Array,
    origin: { fromRound: number; updates: number; rollbackOf: number | null },
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
    if (this.#weights?.version !== model.version) {
      this.#weights = { version: model.version, values: await this.#readWeights(task, model) };
    }
    return this.#weights.values;
  }

  async #readWeights(
    task: TaskRecord,
    model: Pick<ModelManifest, "version" | "key" | "byteLength">,
  ): Promise<Float32Array> {
    const object = await this.env.MODELS.get(model.key);
    if (!object)
      throw new Error(`weights for ${task.id} v${model.version} are missing from R2 (${model.key})`);
    const buffer = await object.arrayBuffer();
    if (buffer.byteLength !== model.byteLength) {
      throw new Error(`${model.key} has ${buffer.byteLength} bytes, expected ${model.byteLength}`);
    }
    return new Float32Array(buffer);
  }

  /** A round nobody has contributed to does not expire: its deadline moves forward when read. */
  #renewIdleRound(task: TaskRecord): void {
    const round = this.#round();
    const now = Date.now();
    const log = this.#logFor(task);
    if (now >= round.deadlineAt && log.openInputs === 0 && !log.pending) {
      this.#open().meta.set("round", {
        ...round,
        deadlineAt: now + task.config.round.deadlineSeconds * 1000,
      });
    }
  }

  #newRound(round: number, now: number, config: TaskConfig): RoundState {
    return { round, openedAt: now, deadlineAt: now + config.round.deadlineSeconds * 1000 };
  }

  #view(task: TaskRecord): TaskView {
    const log = this.#logFor(task);
    return {
      task,
      graph: this.#open().meta.get<GraphInfo>("graph") ?? null,
      model: this.#model(),
      round: { ...this.#round(), updates: log.openCount, publishing: log.pending !== null },
      optimizer: {
        kind: task.config.optimizer.kind,
        step: this.#open().meta.get<{ step: number }>("optimizer")?.step ?? 0,
      },
    };
  }

  /** The task, or undefined — without creating any storage when this object has none. */
  #task(): TaskRecord | undefined {
    if (!this.#store) {
      const tables = this.ctx.storage.sql
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        .toArray();
      if (tables.length === 0) return undefined;
    }
    return this.#open().meta.get<TaskRecord>("task");
  }

  #requireTask(): TaskRecord {
    const task = this.#task();
    if (!task) throw new FedgeError("task_not_found", `coordinator ${this.ctx.id} has no task`);
    return task;
  }

  /** Opens (creating if needed) this object's tables. */
  #open(): Store {
    if (!this.#store) {
      const sql = this.ctx.storage.sql;
      this.#store = { meta: new Meta(sql), blobs: new BlobStore(sql) };
      sql.exec(`CREATE TABLE IF NOT EXISTS versions (
        version INTEGER PRIMARY KEY, round INTEGER NOT NULL, updates INTEGER NOT NULL, weight REAL NOT NULL,
        opened_at INTEGER NOT NULL, created_at INTEGER NOT NULL, rollback_of INTEGER)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
        tier TEXT NOT NULL, seq INTEGER NOT NULL, updates INTEGER NOT NULL, sources TEXT NOT NULL,
        code TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (tier, seq))`);
    }
    return this.#store;
  }

  #logFor(task: TaskRecord): AggregationLog {
    this.#log ??= new AggregationLog(
      this.ctx.storage.sql,
      this.#open().blobs,
      wasmBackend,
      task.config.model.parameters,
    );
    return this.#log;
  }

  /** The task's metrics: everything the tiers below carried up, and the coordinator's own. */
  #metrics(): MetricSet {
    this.#metricsCache ??= this.#open().meta.get<MetricSet>("metrics") ?? emptyMetrics();
    return this.#metricsCache;
  }

  #persistMetrics(m: MetricSet): void {
    this.#open().meta.set("metrics", m);
  }

  #machineFor(task: TaskRecord): FlushMachine {
    this.#machine ??= new FlushMachine(this.ctx.storage, this.#logFor(task), {
      tier: "coordinator",
      metrics: () => this.#metrics(),
      name: () => `coordinator ${task.id}`,
      // The task's settings may change (PUT); read them fresh at each decision.
      due: (log, now) => this.#due(this.#requireTask(), log, now),
      deliver: (batch) => this.#publish(this.#requireTask(), batch),
      onDeadLettered: (batch, error, letters) =>
        this.#storeDeadLetters({
          tier: `coordinator ${task.id}`,
          seq: batch.seq,
          updates: batch.count,
          sources: letters.map((l) => l.source),
          ...error,
          at: Date.now(),
        }),
    });
    return this.#machine;
  }

  #model(): ModelManifest {
    const model = this.#open().meta.get<ModelManifest>("model");
    if (!model) throw new Error("task has no model");
    return model;
  }

  #round(): RoundState {
    const round = this.#open().meta.get<RoundState>("round");
    if (!round) throw new Error("task has no round");
    return round;
  }
}
