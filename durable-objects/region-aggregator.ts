/**
 * Second tier: one object per task × region. Merges cluster partials exactly once and
 * flushes their sum to the coordinator when every active cluster has reported on the
 * newest version, or when the batch's wait runs out. It learns its identity and its
 * children from the partials themselves, so there is nothing to configure beforehand.
 */
import { merge } from "../shared/metrics/metric-set";
import { attempt, type Result } from "../shared/result";
import type { PartialAck, PartialEnvelope } from "./partial";
import type { AggregationLog } from "./storage/aggregation-log";
import { coordinatorStub, regionName } from "./stubs";
import { TierAggregator, type TierIdentity } from "./tier-aggregator";

export interface RegionIdentity extends TierIdentity {
  /** As for clusters' members: a cluster whose last partial reported on a version below v − this is not waited for on v. */
  inactiveAfterVersions: number;
}

export class RegionAggregator extends TierAggregator<RegionIdentity> {
  protected override readonly tier = "region";

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS children (name TEXT PRIMARY KEY, last_version INTEGER NOT NULL)",
    );
  }

  /** Merges a cluster's batch once; `setup` is this region's identity, as the cluster knows it from the task. */
  async ingestPartial(envelope: PartialEnvelope, setup: RegionIdentity): Promise<Result<PartialAck>> {
    return attempt(async () => {
      const id = this.configure(setup);
      const merged = await this.commit(id, (log, now) => {
        const fresh = log.appendPartial(envelope, now);
        this.ctx.storage.sql.exec(
          `INSERT INTO children (name, last_version) VALUES (?1, ?2)
           ON CONFLICT (name) DO UPDATE SET last_version = MAX(last_version, ?2)`,
          envelope.child,
          envelope.version,
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

  protected override selfName(id: RegionIdentity): string {
    return regionName(id.task, id.region);
  }

  protected override sendToParent(
    id: RegionIdentity,
    envelope: PartialEnvelope,
  ): Promise<Result<PartialAck>> {
    return coordinatorStub(this.env, id.task, id.coordinatorRegion).ingestPartial(envelope);
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
