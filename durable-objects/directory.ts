/**
 * One object per task × region: registers devices, assigns them to clusters, and
 * answers check-ins. Clusters are filled to the task's target size in order; the
 * latency-based k-means clustering of DESIGN §5 replaces this policy later.
 */
import { DurableObject } from "cloudflare:workers";
import type { Region } from "../shared/regions";
import { clusterName, clusterStub, regionStub } from "./stubs";

export interface DirectoryTask {
  task: string;
  region: Region;
  dim: number;
  clusterSize: number;
  /** How long a cluster / region may hold a non-empty batch (tierWaits in task-config.ts). */
  clusterWaitMs: number;
  regionWaitMs: number;
  coordinatorRegion: Region;
}

export interface Registration {
  deviceId: string;
  cluster: number;
}

export type CheckinDecision =
  | { ok: true; action: "train"; version: number; round: number; deadlineAt: number }
  | { ok: true; action: "wait"; version: number; round: number; retryAfterSeconds: number }
  | { ok: false; reason: "unknown_device" };

export class Directory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS devices (
      id TEXT PRIMARY KEY, cluster INTEGER NOT NULL, registered_at INTEGER NOT NULL,
      last_checkin INTEGER, assigned_version INTEGER)`);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS clusters (idx INTEGER PRIMARY KEY, members INTEGER NOT NULL)",
    );
  }

  /**
   * Registers a new device in the first cluster with room, creating one if needed, and
   * tells the cluster (and, for a new cluster, the region) before answering, so the
   * device's first upload finds both configured.
   */
  async register(t: DirectoryTask): Promise<Registration> {
    const sql = this.ctx.storage.sql;
    const deviceId = crypto.randomUUID();
    const { cluster, members, created } = this.ctx.storage.transactionSync(() => {
      const [open] = sql
        .exec<{ idx: number; members: number }>(
          "SELECT idx, members FROM clusters WHERE members < ? ORDER BY idx LIMIT 1",
          t.clusterSize,
        )
        .toArray();
      const [last] = sql.exec<{ idx: number | null }>("SELECT MAX(idx) AS idx FROM clusters").toArray();
      const idx = open?.idx ?? (last?.idx ?? -1) + 1;
      const count = (open?.members ?? 0) + 1;
      sql.exec(
        "INSERT INTO clusters (idx, members) VALUES (?, ?) ON CONFLICT (idx) DO UPDATE SET members = excluded.members",
        idx,
        count,
      );
      sql.exec(
        "INSERT INTO devices (id, cluster, registered_at) VALUES (?, ?, ?)",
        deviceId,
        idx,
        Date.now(),
      );
      return { cluster: idx, members: count, created: open === undefined };
    });
    if (created) {
      await regionStub(this.env, t.task, t.region).configure(
        {
          task: t.task,
          region: t.region,
          dim: t.dim,
          maxWaitMs: t.regionWaitMs,
          coordinatorRegion: t.coordinatorRegion,
        },
        clusterName(t.task, t.region, cluster),
      );
    }
    await clusterStub(this.env, t.task, t.region, cluster).configure({
      task: t.task,
      region: t.region,
      index: cluster,
      dim: t.dim,
      members,
      maxWaitMs: t.clusterWaitMs,
    });
    return { deviceId, cluster };
  }

  /**
   * Assigns the current version to a device that has not trained on it yet; a device
   * that already has it is told to wait until the round's deadline, and every device is
   * told to wait while a round past its deadline is being closed.
   */
  async checkin(
    deviceId: string,
    current: { version: number; round: number; deadlineAt: number; deadlineSeconds: number },
  ): Promise<CheckinDecision> {
    const sql = this.ctx.storage.sql;
    const [device] = sql
      .exec<{ assigned_version: number | null }>(
        "SELECT assigned_version FROM devices WHERE id = ?",
        deviceId,
      )
      .toArray();
    if (!device) return { ok: false, reason: "unknown_device" };
    const now = Date.now();
    // Already assigned this version, or the round is past its deadline (closing): come back later.
    if (device.assigned_version === current.version || now >= current.deadlineAt) {
      sql.exec("UPDATE devices SET last_checkin = ? WHERE id = ?", now, deviceId);
      // Past the deadline the round is being published (or retried): come back in a period, not every second.
      const untilDeadline = Math.ceil((current.deadlineAt - now) / 1000);
      const retryAfterSeconds = untilDeadline >= 1 ? untilDeadline : Math.min(60, current.deadlineSeconds);
      return { ok: true, action: "wait", version: current.version, round: current.round, retryAfterSeconds };
    }
    sql.exec(
      "UPDATE devices SET last_checkin = ?, assigned_version = ? WHERE id = ?",
      now,
      current.version,
      deviceId,
    );
    return {
      ok: true,
      action: "train",
      version: current.version,
      round: current.round,
      deadlineAt: current.deadlineAt,
    };
  }
}
