/**
 * The region's aggregation tree: its root — one object per task × region — and, once the
 * region has more than `clusters.fanIn` clusters, inner nodes between the clusters and the
 * root (identities.ts). Each merges its children's partials exactly once and flushes their
 * sum to its parent (the root: to the coordinator) when every active child has reported on
 * the newest version, or when the batch's wait runs out. It learns its identity and its
 * children from the partials themselves, so there is nothing to configure beforehand.
 */
import type { SealStats } from "../shared/clustering/sizing";
import { merge, seriesKey } from "../shared/metrics/metric-set";
import { attempt, type Result } from "../shared/result";
import type { PartialAck, PartialEnvelope } from "./partial";
import type { AggregationLog } from "./storage/aggregation-log";
import { addColumn } from "./storage/schema";
import { coordinatorStub, treeNodeName, treeNodeStub } from "./stubs";
import { TierAggregator, type TierIdentity } from "./tier-aggregator";

export interface RegionIdentity extends TierIdentity {
  /** As for clusters' members: a cluster whose last partial reported on a version below v − this is not waited for on v. */
  inactiveAfterVersions: number;
  /** Null for the region's root; else an inner node, `level` ≥ 1 levels above the clusters (identities.ts). */
  node: { level: number; index: number } | null;
  /** Where this node sends: null for the root, which sends to the coordinator. */
  parent: RegionIdentity | null;
}

/** How long a node waits after hearing from a new child before sending a complete batch up. */
const DISCOVERY_SETTLE_MS = 1000;

export class RegionAggregator extends TierAggregator<RegionIdentity> {
  protected override readonly tier = "region";
  /** When a child was first heard from (null: never; undefined: not read yet). */
  #discoveredAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS children (name TEXT PRIMARY KEY, last_version INTEGER NOT NULL)",
    );
    addColumn(ctx.storage.sql, "children", "level", "INTEGER NOT NULL DEFAULT 0");
    // How its clusters filled since the Directory last asked (automatic cluster sizing).
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS cluster_seals (id INTEGER PRIMARY KEY CHECK (id = 0),
      fill_sum REAL NOT NULL, fill_count INTEGER NOT NULL, wait_sum REAL NOT NULL, wait_count INTEGER NOT NULL)`);
  }

  /** Merges a child's batch (a cluster's, or an inner node's) once; `setup` is this node's identity, as the child knows it from the task. */
  async ingestPartial(envelope: PartialEnvelope, setup: RegionIdentity): Promise<Result<PartialAck>> {
    return attempt(async () => {
      const id = this.configure(setup);
      const merged = await this.commit(id, (log, now) => {
        const fresh = log.appendPartial(envelope, now);
        const level = envelope.level ?? 0;
        // A second, third… child appearing: siblings are still arriving (a node's first child goes up at once).
        const { known, others } = this.ctx.storage.sql
          .exec<{ known: number; others: number }>(
            "SELECT COUNT(*) FILTER (WHERE name = ?1) AS known, COUNT(*) AS others FROM children",
            envelope.child,
          )
          .one();
        if (!known && others > 0) {
          this.#discoveredAt = now;
          this.meta.set("discoveredAt", now);
        }
        // Children of another height were re-parented (the tree gained or lost a level): not waited for.
        this.ctx.storage.sql.exec("DELETE FROM children WHERE level != ?", level);
        this.ctx.storage.sql.exec(
          `INSERT INTO children (name, last_version, level) VALUES (?1, ?2, ?3)
           ON CONFLICT (name) DO UPDATE SET last_version = MAX(last_version, ?2)`,
          envelope.child,
          envelope.version,
          level,
        );
        this.noteVersion(envelope.version);
        if (fresh && level === 0) this.#noteSeals(envelope);
        if (fresh) {
          merge(this.metrics(), envelope.metrics);
          this.persistMetrics(now);
        }
        return fresh;
      });
      return { merged };
    });
  }

  /** The children this node has heard from, and the partials it merged from them (the tree's admin view). */
  async received(): Promise<{ children: number; partials: number }> {
    const id = this.identity();
    return id ? this.log(id).received() : { children: 0, partials: 0 };
  }

  /** From a cluster's partial: its seals' fill ratios and its updates' waits, which ride in its metrics. */
  #noteSeals(envelope: PartialEnvelope): void {
    const fill = envelope.metrics.histograms[seriesKey("fedge_flush_fill_ratio")];
    const wait =
      envelope.metrics.histograms[seriesKey("fedge_stage_duration_seconds", { stage: "in_cluster" })];
    if (!fill && !wait) return;
    this.ctx.storage.sql.exec(
      `INSERT INTO cluster_seals (id, fill_sum, fill_count, wait_sum, wait_count) VALUES (0, ?1, ?2, ?3, ?4)
       ON CONFLICT (id) DO UPDATE SET fill_sum = fill_sum + ?1, fill_count = fill_count + ?2,
         wait_sum = wait_sum + ?3, wait_count = wait_count + ?4`,
      fill?.sum ?? 0,
      fill?.count ?? 0,
      wait?.sum ?? 0,
      wait?.count ?? 0,
    );
  }

  /** The clusters' seals since the last call (then forgotten): for the Directory's sizing. */
  async takeSealStats(): Promise<SealStats> {
    const sql = this.ctx.storage.sql;
    const [row] = sql
      .exec<{ fill_sum: number; fill_count: number; wait_sum: number; wait_count: number }>(
        "SELECT fill_sum, fill_count, wait_sum, wait_count FROM cluster_seals",
      )
      .toArray();
    sql.exec("DELETE FROM cluster_seals");
    return {
      fillSum: row?.fill_sum ?? 0,
      fillCount: row?.fill_count ?? 0,
      waitSum: row?.wait_sum ?? 0,
      waitCount: row?.wait_count ?? 0,
    };
  }

  protected override selfName(id: RegionIdentity): string {
    return treeNodeName(id.task, id.region, id.node ?? null);
  }

  /**
   * While children are still appearing — a task's first version, a tree that just grew —
   * "every active child has reported" only means every child heard of so far, so once a
   * second child has appeared a complete batch waits until no new one has for
   * DISCOVERY_SETTLE_MS (at most a tenth of its wait): siblings arriving in a stream go up
   * together, not one partial each.
   */
  protected override settleUntil(id: RegionIdentity): number | null {
    this.#discoveredAt ??= this.meta.get<number>("discoveredAt") ?? null;
    return this.#discoveredAt === null
      ? null
      : this.#discoveredAt + Math.min(DISCOVERY_SETTLE_MS, id.maxWaitMs / 10);
  }

  protected override level(id: RegionIdentity): number {
    return id.node?.level ?? 0;
  }

  protected override route(id: RegionIdentity): string {
    return JSON.stringify(id.parent ?? null);
  }

  protected override sendToParent(
    id: RegionIdentity,
    envelope: PartialEnvelope,
    route: string | null,
  ): Promise<Result<PartialAck>> {
    const parent = route === null ? (id.parent ?? null) : (JSON.parse(route) as RegionIdentity | null);
    return parent === null
      ? coordinatorStub(this.env, id.task, id.coordinatorRegion).ingestPartial(envelope)
      : treeNodeStub(this.env, parent).ingestPartial(envelope, parent);
  }

  /**
   * Complete when every active cluster has sent a partial reporting on the newest version
   * v seen here (in this batch or an earlier one); a cluster whose last report is older
   * than v − inactiveAfterVersions is not waited for. A region learns its clusters from
   * their partials, so on a task's first version it forwards each as it comes.
   */
  protected override batchComplete(id: RegionIdentity, _log: AggregationLog): boolean {
    const newest = this.newestVersion();
    if (newest === undefined) return true;
    const [row] = this.ctx.storage.sql
      .exec<{ missing: number }>(
        "SELECT COUNT(*) AS missing FROM children WHERE last_version >= ? AND last_version < ?",
        newest - id.inactiveAfterVersions,
        newest,
      )
      .toArray();
    return (row?.missing ?? 0) === 0;
  }
}
