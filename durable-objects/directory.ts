/**
 * One object per task × region: registers devices, assigns them to clusters, and
 * answers check-ins. Clusters are filled to the task's target size in order; the
 * latency-based k-means clustering of DESIGN §5 replaces this policy later.
 */
import { DurableObject } from "cloudflare:workers";
import { type BatteryState, mayTrain, workScale } from "../shared/battery-policy";
import type { Region } from "../shared/regions";
import { clusterName, clusterStub, coordinatorStub, regionStub } from "./stubs";

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

export interface CurrentRound {
  version: number;
  round: number;
  deadlineAt: number;
  deadlineSeconds: number;
  minBatteryLevel: number;
}

export interface CheckinReport {
  battery?: BatteryState | undefined;
  network?:
    | { type: string; rttMs?: number | undefined; uplinkBytesPerSecond?: number | undefined }
    | undefined;
}

export type WaitReason = "assigned" | "closing" | "battery";

export type CheckinDecision =
  | { ok: true; action: "train"; version: number; round: number; deadlineAt: number; workScale: number }
  | {
      ok: true;
      action: "wait";
      reason: WaitReason;
      version: number;
      round: number;
      retryAfterSeconds: number;
    }
  | { ok: false; reason: "unknown_device" };

export interface EvaluationReport {
  version: number;
  loss: number;
  accuracy: number;
  examples: number;
}

export type EvaluationTotals = {
  version: number;
  examples: number;
  lossSum: number;
  accuracySum: number;
  reports: number;
};

/** A device below the battery threshold asks again after this long. */
export const LOW_BATTERY_RETRY_SECONDS = 900;

export class Directory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS devices (
      id TEXT PRIMARY KEY, cluster INTEGER NOT NULL, registered_at INTEGER NOT NULL,
      last_checkin INTEGER, assigned_version INTEGER, battery TEXT, network TEXT)`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS evaluations (
      device TEXT NOT NULL, version INTEGER NOT NULL, loss REAL NOT NULL, accuracy REAL NOT NULL,
      examples INTEGER NOT NULL, PRIMARY KEY (device, version))`);
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
      await coordinatorStub(this.env, t.task, t.coordinatorRegion).noteRegion(t.region);
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
  /**
   * Decides whether a device trains now. A device that has not trained on the current
   * version, and whose battery allows it, is assigned it; otherwise it is told to wait:
   * until the deadline if it already has this version, a period if the round is past its
   * deadline (being closed), and a while if its battery is low. The device's reported
   * state is kept for clustering and monitoring.
   */
  async checkin(deviceId: string, current: CurrentRound, report: CheckinReport): Promise<CheckinDecision> {
    const sql = this.ctx.storage.sql;
    const [device] = sql
      .exec<{ assigned_version: number | null }>(
        "SELECT assigned_version FROM devices WHERE id = ?",
        deviceId,
      )
      .toArray();
    if (!device) return { ok: false, reason: "unknown_device" };
    const now = Date.now();
    sql.exec(
      "UPDATE devices SET last_checkin = ?, battery = ?, network = ? WHERE id = ?",
      now,
      report.battery ? JSON.stringify(report.battery) : null,
      report.network ? JSON.stringify(report.network) : null,
      deviceId,
    );
    const wait = (reason: WaitReason, retryAfterSeconds: number): CheckinDecision => ({
      ok: true,
      action: "wait",
      reason,
      version: current.version,
      round: current.round,
      retryAfterSeconds,
    });
    if (!mayTrain(report.battery, { minBatteryLevel: current.minBatteryLevel })) {
      return wait("battery", LOW_BATTERY_RETRY_SECONDS);
    }
    const untilDeadline = Math.ceil((current.deadlineAt - now) / 1000);
    // Past the deadline the round is being published (or retried): come back in a period, not every second.
    if (untilDeadline < 1) return wait("closing", Math.min(60, current.deadlineSeconds));
    if (device.assigned_version === current.version) return wait("assigned", untilDeadline);
    sql.exec("UPDATE devices SET assigned_version = ? WHERE id = ?", current.version, deviceId);
    return {
      ok: true,
      action: "train",
      version: current.version,
      round: current.round,
      deadlineAt: current.deadlineAt,
      workScale: workScale(report.battery),
    };
  }

  /** Records a device's evaluation of a version; a second report for the same version replaces the first. */
  async recordEvaluation(deviceId: string, report: EvaluationReport): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM devices WHERE id = ?", deviceId).toArray().length === 0) return false;
    sql.exec(
      `INSERT INTO evaluations (device, version, loss, accuracy, examples) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device, version) DO UPDATE SET loss = excluded.loss, accuracy = excluded.accuracy, examples = excluded.examples`,
      deviceId,
      report.version,
      report.loss,
      report.accuracy,
      report.examples,
    );
    return true;
  }

  /** Per version: Σ examples, Σ loss·examples, Σ accuracy·examples and the number of reports. */
  async evaluationTotals(): Promise<EvaluationTotals[]> {
    return this.ctx.storage.sql
      .exec<EvaluationTotals>(
        `SELECT version, SUM(examples) AS examples, SUM(loss * examples) AS lossSum,
                SUM(accuracy * examples) AS accuracySum, COUNT(*) AS reports
         FROM evaluations GROUP BY version ORDER BY version`,
      )
      .toArray();
  }
}
