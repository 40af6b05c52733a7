/**
 * The coordinator's records of what happened to a task: every published version (with
 * its round, updates and weight) and every batch a tier dead-lettered. Small rows in the
 * coordinator's SQLite; the admin view and monitoring read them.
 */
import type { DeadLetterReport, VersionRecord } from "../task-types";

export class TaskRecords {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS versions (
      version INTEGER PRIMARY KEY, round INTEGER NOT NULL, updates INTEGER NOT NULL, weight REAL NOT NULL,
      opened_at INTEGER NOT NULL, created_at INTEGER NOT NULL, rollback_of INTEGER)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS version_privacy (
      version INTEGER PRIMARY KEY, epsilon REAL NOT NULL, noise_multiplier REAL NOT NULL, bound INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
      tier TEXT NOT NULL, seq INTEGER NOT NULL, updates INTEGER NOT NULL, sources TEXT NOT NULL,
      code TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (tier, seq))`);
  }

  addVersion(v: {
    version: number;
    round: number;
    updates: number;
    weight: number;
    openedAt: number;
    createdAt: number;
    rollbackOf: number | null;
    /** For a version published with noise: ε spent once it is out, σ and the round's bound. */
    privacy?: { epsilon: number; noiseMultiplier: number; bound: number };
  }): void {
    this.#sql.exec(
      "INSERT INTO versions (version, round, updates, weight, opened_at, created_at, rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?)",
      v.version,
      v.round,
      v.updates,
      v.weight,
      v.openedAt,
      v.createdAt,
      v.rollbackOf,
    );
    if (v.privacy) {
      this.#sql.exec(
        "INSERT INTO version_privacy (version, epsilon, noise_multiplier, bound) VALUES (?, ?, ?, ?)",
        v.version,
        v.privacy.epsilon,
        v.privacy.noiseMultiplier,
        v.privacy.bound,
      );
    }
  }

  /** The latest `limit` versions, newest first. */
  versions(limit: number): VersionRecord[] {
    return this.#sql
      .exec<{
        version: number;
        round: number;
        updates: number;
        weight: number;
        created_at: number;
        rollback_of: number | null;
        epsilon: number | null;
      }>(
        `SELECT v.*, p.epsilon FROM versions v LEFT JOIN version_privacy p USING (version)
         ORDER BY v.version DESC LIMIT ?`,
        limit,
      )
      .toArray()
      .map((r) => ({
        version: r.version,
        round: r.round,
        updates: r.updates,
        weight: r.weight,
        createdAt: new Date(r.created_at).toISOString(),
        rollbackOf: r.rollback_of,
        epsilon: r.epsilon,
      }));
  }

  /** Device updates in every published version. */
  publishedUpdates(): number {
    return this.#sql.exec<{ n: number | null }>("SELECT SUM(updates) AS n FROM versions").one().n ?? 0;
  }

  /** Records a dead-lettered batch once per (tier, seq). */
  addDeadLetter(report: DeadLetterReport): void {
    this.#sql.exec(
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

  deadLetterTotals(): { batches: number; updates: number } {
    const row = this.#sql
      .exec<{ batches: number; updates: number | null }>(
        "SELECT COUNT(*) AS batches, SUM(updates) AS updates FROM dead_letters",
      )
      .one();
    return { batches: row.batches, updates: row.updates ?? 0 };
  }

  /** The latest `limit` dead-lettered batches, newest first. */
  recentDeadLetters(limit: number): DeadLetterReport[] {
    return this.#sql
      .exec<Omit<DeadLetterReport, "sources"> & { sources: string }>(
        "SELECT tier, seq, updates, sources, code, message, at FROM dead_letters ORDER BY at DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({ ...r, sources: JSON.parse(r.sources) as string[] }));
  }
}
