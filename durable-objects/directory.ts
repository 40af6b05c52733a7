/**
 * One object per task × region: places newly registered devices in clusters and keeps
 * their evaluation reports. Clusters are filled to the task's target size in order; the
 * latency-based k-means clustering of DESIGN §5 replaces this policy later. Check-ins go
 * to the device's own cluster, which knows its members; nothing per device passes here
 * after registration.
 */
import { DurableObject } from "cloudflare:workers";
import { FedgeError } from "../shared/errors";
import type { Region } from "../shared/regions";
import { attempt, type Result } from "../shared/result";
import { coordinatorStub } from "./stubs";

export interface DirectoryTask {
  task: string;
  region: Region;
  clusterSize: number;
  coordinatorRegion: Region;
}

export interface Registration {
  deviceId: string;
  cluster: number;
}

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

/** How a region's devices are spread: for monitoring. */
export interface RegionShape {
  clusters: number;
  devices: number;
  /** Registered devices in the fullest cluster. */
  maxClusterSize: number;
}

export class Directory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, cluster INTEGER NOT NULL, registered_at INTEGER NOT NULL)",
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS evaluations (
      device TEXT NOT NULL, version INTEGER NOT NULL, loss REAL NOT NULL, accuracy REAL NOT NULL,
      examples INTEGER NOT NULL, PRIMARY KEY (device, version))`);
    sql.exec("CREATE TABLE IF NOT EXISTS clusters (idx INTEGER PRIMARY KEY, members INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS noted (id INTEGER PRIMARY KEY CHECK (id = 0))");
  }

  /**
   * Places a new device in the first cluster with room (opening a new one when all are
   * full). Registration has one external step — telling the coordinator, once, that this
   * region exists (it gathers evaluations per region) — and it comes first: if it fails,
   * nothing is written and the device may simply register again. The placement itself is
   * one transaction, so no failure leaves a half-registered device. The clusters and the
   * region configure themselves from the first messages they get.
   */
  async register(t: DirectoryTask): Promise<Registration> {
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM noted").toArray().length === 0) {
      await coordinatorStub(this.env, t.task, t.coordinatorRegion).noteRegion(t.region);
      sql.exec("INSERT OR IGNORE INTO noted (id) VALUES (0)");
    }
    const deviceId = crypto.randomUUID();
    const cluster = this.ctx.storage.transactionSync(() => {
      const [open] = sql
        .exec<{ idx: number; members: number }>(
          "SELECT idx, members FROM clusters WHERE members < ? ORDER BY idx LIMIT 1",
          t.clusterSize,
        )
        .toArray();
      const [last] = sql.exec<{ idx: number | null }>("SELECT MAX(idx) AS idx FROM clusters").toArray();
      const idx = open?.idx ?? (last?.idx ?? -1) + 1;
      sql.exec(
        "INSERT INTO clusters (idx, members) VALUES (?, 1) ON CONFLICT (idx) DO UPDATE SET members = members + 1",
        idx,
      );
      sql.exec(
        "INSERT INTO devices (id, cluster, registered_at) VALUES (?, ?, ?)",
        deviceId,
        idx,
        Date.now(),
      );
      return idx;
    });
    return { deviceId, cluster };
  }

  /**
   * Records a device's evaluation of a version, once: the same report again is accepted
   * (a resend), a different one for the same version is refused (duplicate_evaluation).
   * The edge has already capped `examples` at the task's maximum sample weight.
   */
  async recordEvaluation(deviceId: string, report: EvaluationReport): Promise<Result<{ recorded: boolean }>> {
    return attempt(() => {
      const sql = this.ctx.storage.sql;
      if (sql.exec("SELECT 1 FROM devices WHERE id = ?", deviceId).toArray().length === 0) {
        throw new FedgeError("unauthorized", `device ${deviceId} is not registered; register again`);
      }
      const [before] = sql
        .exec<Omit<EvaluationReport, "version">>(
          "SELECT loss, accuracy, examples FROM evaluations WHERE device = ? AND version = ?",
          deviceId,
          report.version,
        )
        .toArray();
      if (before) {
        const same =
          before.loss === report.loss &&
          before.accuracy === report.accuracy &&
          before.examples === report.examples;
        if (same) return { recorded: false };
        throw new FedgeError(
          "duplicate_evaluation",
          `device ${deviceId} has already reported an evaluation of version ${report.version}; one report per device per version`,
        );
      }
      sql.exec(
        "INSERT INTO evaluations (device, version, loss, accuracy, examples) VALUES (?, ?, ?, ?, ?)",
        deviceId,
        report.version,
        report.loss,
        report.accuracy,
        report.examples,
      );
      return { recorded: true };
    });
  }

  async shape(): Promise<RegionShape> {
    const [row] = this.ctx.storage.sql
      .exec<{ clusters: number; devices: number | null; biggest: number | null }>(
        "SELECT COUNT(*) AS clusters, SUM(members) AS devices, MAX(members) AS biggest FROM clusters",
      )
      .toArray();
    return { clusters: row?.clusters ?? 0, devices: row?.devices ?? 0, maxClusterSize: row?.biggest ?? 0 };
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
