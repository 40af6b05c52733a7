/**
 * Second tier: one object per task × region. Merges cluster partials exactly once and
 * flushes their sum to the coordinator when every registered cluster has reported, or
 * when the batch's wait runs out.
 */
import type { Region } from "../shared/regions";
import type { PartialAck, PartialEnvelope } from "./partial";
import type { AggregationLog } from "./storage/aggregation-log";
import { coordinatorStub, regionName } from "./stubs";
import { TierAggregator, type TierIdentity } from "./tier-aggregator";

export interface RegionIdentity extends TierIdentity {
  coordinatorRegion: Region;
}

export class RegionAggregator extends TierAggregator<RegionIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS children (name TEXT PRIMARY KEY)");
  }

  /** Called by the Directory when it creates a cluster in this region. */
  async configure(id: RegionIdentity, child: string): Promise<void> {
    this.saveIdentity(id);
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO children (name) VALUES (?)", child);
  }

  async ingestPartial(envelope: PartialEnvelope): Promise<PartialAck> {
    const id = this.requireIdentity();
    const merged = this.commit(id, (log, now) => log.appendPartial(envelope, now));
    return { merged };
  }

  protected override selfName(id: RegionIdentity): string {
    return regionName(id.task, id.region);
  }

  protected override sendToParent(id: RegionIdentity, envelope: PartialEnvelope): Promise<PartialAck> {
    return coordinatorStub(this.env, id.task, id.coordinatorRegion).ingestPartial(envelope);
  }

  protected override batchComplete(_id: RegionIdentity, log: AggregationLog): boolean {
    const reported = log.openSources();
    for (const { name } of this.ctx.storage.sql.exec<{ name: string }>("SELECT name FROM children")) {
      if (!reported.has(name)) return false;
    }
    return true;
  }
}
