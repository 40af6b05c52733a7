/**
 * The region's aggregation tree: its root — one object per task × region — and, once the
 * region has more than `clusters.fanIn` clusters, inner nodes between the clusters and the
 * root (identities.ts). Each merges its children's partials exactly once and flushes their
 * sum to its parent (the root: to the coordinator) when every active child has reported on
 * the newest version, or when the batch's wait runs out. It learns its identity and its
 * children from the partials themselves, so there is nothing to configure beforehand.
 */
import { merge } from "../shared/metrics/metric-set";
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

export class RegionAggregator extends TierAggregator<RegionIdentity> {
  protected override readonly tier = "region";

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS children (name TEXT PRIMARY KEY, last_version INTEGER NOT NULL)",
    );
    addColumn(ctx.storage.sql, "children", "level", "INTEGER NOT NULL DEFAULT 0");
  }

  /** Merges a cluster's batch once; `setup` is this region's identity, as the cluster knows it from the task. */
  async ingestPartial(envelope: PartialEnvelope, setup: RegionIdentity): Promise<Result<PartialAck>> {
    return attempt(async () => {
      const id = this.configure(setup);
      const merged = await this.commit(id, (log, now) => {
        const fresh = log.appendPartial(envelope, now);
        const level = envelope.level ?? 0;
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

  protected override selfName(id: RegionIdentity): string {
    return treeNodeName(id.task, id.region, id.node ?? null);
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
