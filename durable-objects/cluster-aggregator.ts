/**
 * First tier: one object per ~10 devices, pinned to their region. Accepts device
 * updates (write-ahead, then 202), de-duplicates by update id, and flushes Σ nᵢΔᵢ to
 * the region aggregator when every member has reported on the current model version,
 * or when the batch's wait runs out.
 */
import { type StalenessFunction, stalenessWeight } from "../shared/aggregation/staleness";
import type { CodecId } from "../shared/protocol/frame";
import type { PartialAck, PartialEnvelope } from "./partial";
import type { AggregationLog } from "./storage/aggregation-log";
import { clusterName, regionStub } from "./stubs";
import { TierAggregator, type TierIdentity } from "./tier-aggregator";

export interface ClusterIdentity extends TierIdentity {
  index: number;
  /** Registered members: the batch is complete once this many updates are in. */
  members: number;
}

export interface DeviceUpdate {
  device: string;
  updateId: string;
  codec: CodecId;
  payload: Uint8Array;
  sampleWeight: number;
  baseVersion: number;
}

/** What the edge knows of the task when it forwards an update: the staleness policy and the current version. */
export interface Admission {
  currentVersion: number;
  maxStaleness: number;
  weight: StalenessFunction;
}

export type SubmitResult =
  | { ok: true; receipt: UpdateReceipt }
  | { ok: false; code: "stale_update"; message: string };

export interface UpdateReceipt {
  updateId: string;
  status: "accepted";
  receivedAt: string;
}

/** How long a device may resend an update and get its original receipt back. */
export const DUPLICATE_WINDOW_MS = 7 * 24 * 3600_000;

export class ClusterAggregator extends TierAggregator<ClusterIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS receipts (
      key TEXT PRIMARY KEY, receipt TEXT NOT NULL, received_at INTEGER NOT NULL,
      device TEXT NOT NULL, base_version INTEGER NOT NULL)`);
    ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS receipts_by_version ON receipts (base_version, device)");
  }

  /** Called by the Directory whenever membership changes. */
  async configure(id: ClusterIdentity): Promise<void> {
    this.saveIdentity(id);
    this.kick(id);
  }

  /**
   * Logs a device's update and returns its receipt. The receipt is returned only after
   * the log write commits (the output gate holds it), so an acknowledged update survives
   * eviction. A resent update id gets the original receipt and is not counted again.
   *
   * An update τ = currentVersion − baseVersion versions old is summed with weight
   * s(τ)·n (FedBuff, Nguyen et al. 2022) and refused before anything is written when
   * τ exceeds the task's bound — never dropped after the ack.
   */
  async submit(update: DeviceUpdate, admission: Admission): Promise<SubmitResult> {
    const id = this.requireIdentity();
    const key = `${update.device}:${update.updateId}`;
    const sql = this.ctx.storage.sql;
    const [seen] = sql.exec<{ receipt: string }>("SELECT receipt FROM receipts WHERE key = ?", key).toArray();
    if (seen) return { ok: true, receipt: JSON.parse(seen.receipt) as UpdateReceipt };
    const staleness = Math.max(0, admission.currentVersion - update.baseVersion);
    if (staleness > admission.maxStaleness) {
      return {
        ok: false,
        code: "stale_update",
        message: `update is ${staleness} versions old (base ${update.baseVersion}, current ${admission.currentVersion}); the task accepts at most ${admission.maxStaleness}`,
      };
    }
    const scale = update.sampleWeight * stalenessWeight(admission.weight, staleness);
    const accepted = this.commit(id, (log, now) => {
      const receipt: UpdateReceipt = {
        updateId: update.updateId,
        status: "accepted",
        receivedAt: new Date(now).toISOString(),
      };
      sql.exec(
        "INSERT INTO receipts (key, receipt, received_at, device, base_version) VALUES (?, ?, ?, ?, ?)",
        key,
        JSON.stringify(receipt),
        now,
        update.device,
        update.baseVersion,
      );
      log.append(
        {
          id: key,
          source: update.device,
          codec: update.codec,
          payload: update.payload,
          scale,
          weight: update.sampleWeight,
          count: 1,
        },
        now,
      );
      return receipt;
    });
    return { ok: true, receipt: accepted };
  }

  protected override selfName(id: ClusterIdentity): string {
    return clusterName(id.task, id.region, id.index);
  }

  protected override sendToParent(id: ClusterIdentity, envelope: PartialEnvelope): Promise<PartialAck> {
    return regionStub(this.env, id.task, id.region).ingestPartial(envelope);
  }

  /**
   * Complete when every member has reported on the newest model version seen here
   * (counting updates already flushed), so a member that reports late does not wait
   * for the deadline just because earlier members' updates have gone up the tree.
   */
  protected override batchComplete(id: ClusterIdentity, log: AggregationLog): boolean {
    if (log.openCount >= id.members) return true;
    const [row] = this.ctx.storage.sql
      .exec<{ reported: number }>(
        `SELECT COUNT(DISTINCT device) AS reported FROM receipts
         WHERE base_version = (SELECT MAX(base_version) FROM receipts)`,
      )
      .toArray();
    return (row?.reported ?? 0) >= id.members;
  }

  protected override onAlarm(): void {
    this.ctx.storage.sql.exec("DELETE FROM receipts WHERE received_at < ?", Date.now() - DUPLICATE_WINDOW_MS);
  }
}
