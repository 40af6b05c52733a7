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
import { createOptimizer, pseudoGradient } from "../shared/aggregation/index";
import { nextShift } from "../shared/codecs/quality";
import { FedgeError } from "../shared/errors";
import { emptyMetrics, type MetricSet, merge } from "../shared/metrics/metric-set";
import { count, record } from "../shared/metrics/record";
import { initialWeights } from "../shared/model-init";
import {
  type AccountedDp,
  budgetSpent,
  charge,
  epsilonOf,
  NOTHING_SPENT,
  type PrivacySpend,
  privateMean,
  roundSize,
} from "../shared/privacy/central-dp";
import { immutableChange, type TaskConfig } from "../shared/protocol/task-config";
import type { Region } from "../shared/regions";
import { attempt, fail, ok, type Result } from "../shared/result";
import { nextSelectionShare } from "../shared/selection/over-selection";
import { wasmBackend } from "../wasm/index";
import { versionPoint } from "./analytics";
import { mergeShapes } from "./directory";
import { type Due, FlushMachine } from "./flush-machine";
import type { PartialAck, PartialEnvelope } from "./partial";
import { AggregationLog, type SealedBatch } from "./storage/aggregation-log";
import { BlobStore } from "./storage/blob-store";
import { Meta } from "./storage/meta";
import { putModel, readWeights } from "./storage/model-store";
import { loadOptimizerState, resetOptimizerState, saveOptimizerState } from "./storage/optimizer-state";
import { tableExists } from "./storage/schema";
import { TaskRecords } from "./storage/task-records";
import { directoryStubs, regionStub } from "./stubs";
import {
  type AdminTaskView,
  type DeadLetterReport,
  type GraphInfo,
  LISTED_VERSIONS,
  MONITORED_VERSIONS,
  type ModelManifest,
  type MonitoringSnapshot,
  type PrivacyView,
  type RoundState,
  type TaskRecord,
  type TaskView,
  type UpdateTotals,
  type VersionEvaluation,
  weightsKey,
} from "./task-types";
import { METRICS_PERSIST_MS } from "./tier-aggregator";

/** The coordinator's storage, opened only for a task that exists or is being created. */
interface Store {
  meta: Meta;
  blobs: BlobStore;
  records: TaskRecords;
}

export class Coordinator extends DurableObject<Env> {
  #store: Store | null = null;
  #log: AggregationLog | null = null;
  #machine: FlushMachine | null = null;
  #metricsCache: MetricSet | null = null;
  #metricsPersistedAt = 0;
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
    const manifest = await putModel(
      this.env.MODELS,
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
      const { records } = this.#open();
      return {
        ...this.#view(task),
        totals: await this.#totals(task),
        versions: records.versions(LISTED_VERSIONS),
        deadLetters: { ...records.deadLetterTotals(), recent: records.recentDeadLetters(LISTED_VERSIONS) },
        evaluations: await this.#evaluations(task),
      };
    });
  }

  /** Everything monitoring shows, gathered in one call (the regions' Directories are read, at most nine). */
  async monitoring(): Promise<Result<MonitoringSnapshot>> {
    return attempt(async () => {
      const task = this.#requireTask();
      const regions = this.#open().meta.get<Region[]>("regions") ?? [];
      const shards = task.config.clusters.directoryShards;
      const shapes = await Promise.all(
        regions.map(async (r) =>
          mergeShapes(await Promise.all(directoryStubs(this.env, task.id, r, shards).map((d) => d.shape()))),
        ),
      );
      const { records } = this.#open();
      return {
        view: this.#view(task),
        metrics: this.#metrics(),
        versions: records.versions(MONITORED_VERSIONS),
        evaluations: await this.#evaluations(task),
        regions: Object.fromEntries(regions.map((r, i) => [r, shapes[i]!])),
        deadLetteredUpdates: records.deadLetterTotals().updates,
      };
    });
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

  /**
   * Called by a region's Directory when its aggregation tree gains or loses a level; the
   * edges learn it from the task view and address clusters' parents accordingly.
   */
  async noteTreeLevels(region: Region, levels: number, shard = 0): Promise<void> {
    if (!this.#task()) return;
    const { meta } = this.#open();
    // Per directory shard; the region's tree spans all its shards' clusters, so it takes the most.
    const shards = meta.get<Partial<Record<Region, Record<number, number>>>>("treeShards") ?? {};
    const mine = { ...(shards[region] ?? {}), [shard]: levels };
    meta.set("treeShards", { ...shards, [region]: mine });
    const tree = meta.get<Partial<Record<Region, number>>>("tree") ?? {};
    meta.set("tree", { ...tree, [region]: Math.max(...Object.values(mine)) });
  }

  /** The region roots heard from, and the partials merged from them. */
  async received(): Promise<{ children: number; partials: number }> {
    const task = this.#task();
    return task ? this.#logFor(task).received() : { children: 0, partials: 0 };
  }

  /** Records a tier's dead-lettered batch for the admin view, once per (tier, seq). */
  async recordDeadLetters(report: DeadLetterReport): Promise<void> {
    if (!this.#task()) return;
    this.#open().records.addDeadLetter(report);
  }

  /** Merges a region's batch exactly once; closes the round in the background when it has its target. */
  async ingestPartial(envelope: PartialEnvelope): Promise<Result<PartialAck>> {
    return attempt(async () => {
      const task = this.#requireTask();
      const log = this.#logFor(task);
      const now = Date.now();
      const merged = this.ctx.storage.transactionSync(() => {
        const fresh = log.appendPartial(envelope, now);
        if (fresh) this.#persistMetrics(merge(this.#metrics(), envelope.metrics), now);
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
        const weights = await readWeights(this.env.MODELS, {
          ...model,
          version: target,
          key: weightsKey(task.id, target),
        });
        const now = Date.now();
        const round = this.#round();
        const version = model.version + 1;
        const manifest = await putModel(
          this.env.MODELS,
          task.id,
          task.layoutHash,
          version,
          weights,
          { fromRound: round.round, updates: 0, rollbackOf: target },
          now,
        );
        const { meta, blobs } = this.#open();
        this.ctx.storage.transactionSync(() => {
          resetOptimizerState(meta, blobs, createOptimizer(task.config.optimizer));
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
    const { meta, blobs } = this.#open();
    const dp = task.config.privacy.dp;
    let privacy: { spent: PrivacySpend; epsilon: number; noiseMultiplier: number; bound: number } | null =
      null;
    let delta: Float32Array;
    if (dp.kind !== "off") {
      // The most updates one device has in the round; without counts, as if all were one device's.
      const bound = batch.devices
        ? Object.values(batch.devices).reduce((m, n) => Math.max(m, n), 1)
        : batch.count;
      // Distributed: each of the round's n updates carried σC/√m of noise, so the sum carries σ·√(n/m)·C.
      const sigma =
        dp.kind === "central"
          ? dp.noiseMultiplier
          : dp.noiseMultiplier * Math.sqrt(batch.count / roundSize(task.config));
      const charged = charge({ ...dp, noiseMultiplier: sigma }, this.#privacySpend(), bound);
      if (dp.epsilonBudget !== undefined && charged.epsilon > dp.epsilonBudget) {
        return fail(
          "privacy_budget_spent",
          `publishing round ${round.round} would take ε to ${charged.epsilon.toFixed(3)} (δ = ${dp.delta}), past the budget ${dp.epsilonBudget}; the model stays at version ${model.version}`,
        );
      }
      privacy = { ...charged, noiseMultiplier: sigma, bound };
      delta =
        dp.kind === "central"
          ? privateMean(batch.sum, dp, roundSize(task.config))
          : batch.sum.map((v) => v / roundSize(task.config)); // the noise came with the updates
    } else {
      // A round whose every update was given weight 0 (all flagged by the clusters' detectors) moves nothing.
      delta = batch.weight > 0 ? pseudoGradient(batch) : new Float32Array(current.length);
    }
    const shift = await this.#compressionShift(task);
    const state = loadOptimizerState(meta, blobs, optimizer, current.length);
    const next = optimizer.apply(current, delta, state);
    const bad = next.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      return fail(
        "aggregate_overflow",
        `round ${round.round}'s ${optimizer.kind} step makes parameter ${bad} ${next[bad]}; the model stays at version ${model.version}`,
      );
    }
    const now = Date.now();
    const version = model.version + 1;
    const manifest = await putModel(
      this.env.MODELS,
      task.id,
      task.layoutHash,
      version,
      next,
      { fromRound: round.round, updates: batch.count, rollbackOf: null },
      now,
    );
    return ok(() => {
      saveOptimizerState(meta, blobs, optimizer, state);
      if (privacy) meta.set("privacy", privacy.spent);
      if (shift !== null) meta.set("compressionShift", shift);
      this.#commitVersion(task, manifest, round, batch.weight, now, null, privacy ?? undefined);
      this.#weights = { version, values: next };
      const m = this.#metrics();
      record(m, "fedge_stage_duration_seconds", (now - started) / 1000, { stage: "coordinator_apply" });
      record(m, "fedge_stage_duration_seconds", (now - batch.firstAt) / 1000, { stage: "end_to_end" });
      count(m, "fedge_versions_published_total");
      record(m, "fedge_object_storage_bytes", this.ctx.storage.sql.databaseSize, { tier: "coordinator" });
      this.#persistMetrics(m, now, true);
      versionPoint(this.env, {
        task: task.id,
        version,
        updates: batch.count,
        weight: batch.weight,
        endToEndSeconds: (now - batch.firstAt) / 1000,
      });
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
    privacy?: { epsilon: number; noiseMultiplier: number; bound: number },
  ): void {
    const { meta, records } = this.#open();
    meta.set("model", manifest);
    meta.set(
      "round",
      this.#newRound(round.round + 1, now, task.config, { round, received: manifest.updates }),
    );
    records.addVersion({
      version: manifest.version,
      round: round.round,
      updates: manifest.updates,
      weight,
      openedAt: round.openedAt,
      createdAt: now,
      rollbackOf,
      ...(privacy
        ? {
            privacy: {
              epsilon: privacy.epsilon,
              noiseMultiplier: privacy.noiseMultiplier,
              bound: privacy.bound,
            },
          }
        : {}),
    });
  }

  /** Updates published, in this object's log, and in each region's (one small read per region, at most nine). */
  async #totals(task: TaskRecord): Promise<UpdateTotals> {
    const log = this.#logFor(task);
    const published = this.#open().records.publishedUpdates();
    const regions = this.#open().meta.get<Region[]>("regions") ?? [];
    const statuses = await Promise.all(regions.map((r) => regionStub(this.env, task.id, r).status()));
    return {
      published,
      coordinator: log.openCount + (log.pending?.updates ?? 0),
      regions: Object.fromEntries(
        regions.map((r, i) => [r, statuses[i]!.openUpdates + (statuses[i]!.pending?.updates ?? 0)]),
      ),
    };
  }

  /** Federated evaluation per version, gathered from each region's Directory (at most nine reads). */
  async #evaluations(task: TaskRecord): Promise<VersionEvaluation[]> {
    const regions = this.#open().meta.get<Region[]>("regions") ?? [];
    const perDirectory = await Promise.all(
      regions.flatMap((r) =>
        directoryStubs(this.env, task.id, r, task.config.clusters.directoryShards).map((d) =>
          d.evaluationTotals(),
        ),
      ),
    );
    const byVersion = new Map<
      number,
      { examples: number; lossSum: number; accuracySum: number; reports: number }
    >();
    for (const rows of perDirectory) {
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

  async #currentWeights(_task: TaskRecord, model: ModelManifest): Promise<Float32Array> {
    if (this.#weights?.version !== model.version) {
      this.#weights = { version: model.version, values: await readWeights(this.env.MODELS, model) };
    }
    return this.#weights.values;
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

  /** The next round; with over-selection, its share moved by what the previous round received. */
  #newRound(
    round: number,
    now: number,
    config: TaskConfig,
    previous?: { round: RoundState; received: number },
  ): RoundState {
    const next: RoundState = { round, openedAt: now, deadlineAt: now + config.round.deadlineSeconds * 1000 };
    const { overSelection, targetUpdates } = config.round;
    if (overSelection === null) return next;
    const share = previous
      ? nextSelectionShare(
          previous.round.selectionShare ?? 1,
          { overSelection, targetUpdates },
          previous.received,
        )
      : 1;
    return { ...next, selectionShare: share };
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
      privacy: task.config.privacy.dp.kind === "off" ? null : this.#privacyView(task.config.privacy.dp),
      compressionShift: this.#open().meta.get<number>("compressionShift") ?? 1,
      tree: this.#open().meta.get<Partial<Record<Region, number>>>("tree") ?? {},
    };
  }

  /**
   * compression.quality: the next factor on the assigned density, from the federated
   * evaluation loss of the versions evaluated so far (null when off).
   */
  async #compressionShift(task: TaskRecord): Promise<number | null> {
    const quality = task.config.compression.quality;
    if (quality.kind === "off") return null;
    const losses = (await this.#evaluations(task))
      .filter((e) => e.reports >= quality.minReports)
      .map((e) => e.loss);
    return nextShift(this.#open().meta.get<number>("compressionShift") ?? 1, losses, quality);
  }

  /** What the task has spent on privacy: the RDP of its noisy versions so far. */
  #privacySpend(): PrivacySpend {
    return this.#open().meta.get<PrivacySpend>("privacy") ?? NOTHING_SPENT;
  }

  #privacyView(dp: AccountedDp): PrivacyView {
    const spent = this.#privacySpend();
    return {
      epsilon: epsilonOf(dp, spent),
      delta: dp.delta,
      budget: dp.epsilonBudget ?? null,
      spent: budgetSpent(dp, spent),
      versions: spent.versions,
    };
  }

  /** The task, or undefined — without creating any storage when this object has none. */
  #task(): TaskRecord | undefined {
    if (!this.#store && !tableExists(this.ctx.storage.sql, "meta")) return undefined;
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
      this.#store = { meta: new Meta(sql), blobs: new BlobStore(sql), records: new TaskRecords(sql) };
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

  /**
   * Writes the task's metrics down: with each published version, and otherwise at most every
   * METRICS_PERSIST_MS, so an eviction loses at most a few seconds of what rode up.
   */
  #persistMetrics(m: MetricSet, now: number, always = false): void {
    if (!always && now - this.#metricsPersistedAt < METRICS_PERSIST_MS) return;
    this.#open().meta.set("metrics", m);
    this.#metricsPersistedAt = now;
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
        this.#open().records.addDeadLetter({
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
