/**
 * A cluster's members and their assignments, in its SQLite: who checked in, how recently
 * each was active, which versions each was assigned and contributed to, and what trust
 * has recorded of each (reputation, quarantine, detections). The cluster's rules
 * (durable-objects/cluster-aggregator.ts) read and write through this.
 */
import type { ReputationState } from "../../shared/trust/index";
import { addColumn, ensureTable, isWithoutRowid, tableExists } from "./schema";

export type MemberRow = {
  device: string;
  joined_at: number;
  last_seen_at: number;
  active_version: number | null;
  reputation: string | null;
  quarantined_until: number | null;
  detections: number;
  last_detection: string | null;
};

/**
 * What a cluster hands to the cluster a member moves to (re-clustering): the assignments it
 * has not used yet, so an update trained on one is still accepted there, and its trust state,
 * so a move does not wipe a quarantine.
 */
export interface Handover {
  assignments: { version: number; assignedAt: number }[];
  reputation: string | null;
  quarantinedUntil: number | null;
}

export type Assignment = { assigned_at: number; update_key: string | null; received_at: number | null };

/** The mark an assignment handed to another cluster carries instead of an update key. */
const HANDED_OVER = "moved";

export class ClusterMembers {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS members (
      device TEXT PRIMARY KEY, joined_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL,
      active_version INTEGER, battery TEXT, network TEXT, reputation TEXT, quarantined_until INTEGER,
      detections INTEGER NOT NULL DEFAULT 0, last_detection TEXT)`);
    // WITHOUT ROWID: a check-in's assignment is one B-tree page written, not also an index's.
    // An assignment the device contributed to is also the update's receipt (received_at):
    // one row written per upload, and kept as long as receipts are (retention.receiptsHours).
    ensureTable(
      sql,
      "assignments",
      `CREATE TABLE IF NOT EXISTS assignments (
      device TEXT NOT NULL, version INTEGER NOT NULL, assigned_at INTEGER NOT NULL, update_key TEXT,
      received_at INTEGER, PRIMARY KEY (version, device)) WITHOUT ROWID`,
      isWithoutRowid,
    );
    addColumn(sql, "assignments", "received_at", "INTEGER");
    foldReceiptsTable(sql);
    sql.exec("CREATE TABLE IF NOT EXISTS moves (device TEXT PRIMARY KEY, cluster INTEGER NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS queue (version INTEGER NOT NULL, device TEXT NOT NULL, queued_at INTEGER NOT NULL,
      PRIMARY KEY (version, device))`);
  }

  /**
   * Queues a device for `version` (over-selection: the version's quota is taken) and returns
   * its position, 1 for the first queued; asking again keeps its place. Older queues go.
   */
  enqueue(device: string, version: number, now: number): number {
    this.#sql.exec("DELETE FROM queue WHERE version < ?", version);
    this.#sql.exec(
      "INSERT OR IGNORE INTO queue (version, device, queued_at) VALUES (?, ?, ?)",
      version,
      device,
      now,
    );
    return this.#sql
      .exec<{ position: number }>(
        `SELECT COUNT(*) AS position FROM queue WHERE version = ?1
           AND queued_at <= (SELECT queued_at FROM queue WHERE version = ?1 AND device = ?2)`,
        version,
        device,
      )
      .one().position;
  }

  /**
   * Whether the moves table has any row (null: not read since it last shrank). Most clusters
   * never lose a member, and every check-in and upload asks movedTo.
   */
  #anyMoves: boolean | null = null;

  /** Re-clustering moved these members away: each is handed over at its next check-in here. */
  moveAway(moves: readonly { device: string; cluster: number }[]): void {
    if (moves.length > 0) this.#anyMoves = true;
    for (const m of moves) {
      this.#sql.exec("INSERT OR REPLACE INTO moves (device, cluster) VALUES (?, ?)", m.device, m.cluster);
      // No longer expected to report here.
      this.#sql.exec("UPDATE members SET active_version = NULL WHERE device = ?", m.device);
    }
  }

  /** The cluster the device was moved to, if it was. */
  movedTo(device: string): number | null {
    this.#anyMoves ??= this.#sql.exec("SELECT 1 FROM moves LIMIT 1").toArray().length > 0;
    if (!this.#anyMoves) return null;
    const [row] = this.#sql
      .exec<{ cluster: number }>("SELECT cluster FROM moves WHERE device = ?", device)
      .toArray();
    return row?.cluster ?? null;
  }

  /** Whether the device's assignment for `version` went with it to another cluster. */
  handedOver(device: string, version: number): boolean {
    return this.assignment(device, version)?.update_key === HANDED_OVER;
  }

  /** Hands a moved member over and forgets it as a member: its unused assignments (marked here as handed over) and trust state. */
  handOver(device: string): Handover {
    const assignments = this.#sql
      .exec<{ version: number; assigned_at: number }>(
        "SELECT version, assigned_at FROM assignments WHERE device = ? AND update_key IS NULL ORDER BY version",
        device,
      )
      .toArray()
      .map((a) => ({ version: a.version, assignedAt: a.assigned_at }));
    this.#sql.exec(
      "UPDATE assignments SET update_key = ? WHERE device = ? AND update_key IS NULL",
      HANDED_OVER,
      device,
    );
    const [row] = this.#sql
      .exec<{ reputation: string | null; quarantined_until: number | null }>(
        "SELECT reputation, quarantined_until FROM members WHERE device = ?",
        device,
      )
      .toArray();
    // No longer a member here: its trust state goes with it, its telemetry is not kept.
    this.#sql.exec("DELETE FROM members WHERE device = ?", device);
    return {
      assignments,
      reputation: row?.reputation ?? null,
      quarantinedUntil: row?.quarantined_until ?? null,
    };
  }

  /**
   * Forgets moves that can no longer matter: the device was handed over (it is no member
   * here) and no assignment of it is left here for an old-token upload to be redirected under.
   */
  forgetSettledMoves(): void {
    this.#anyMoves = null;
    this.#sql.exec(
      `DELETE FROM moves WHERE device NOT IN (SELECT device FROM members)
         AND device NOT IN (SELECT device FROM assignments)`,
    );
  }

  /** Takes over a member another cluster handed over (after `seen` made it a member here). Idempotent. */
  adopt(device: string, handover: Handover): void {
    this.#anyMoves = null;
    this.#sql.exec("DELETE FROM moves WHERE device = ?", device);
    for (const a of handover.assignments) {
      this.#sql.exec(
        "INSERT OR IGNORE INTO assignments (device, version, assigned_at, update_key) VALUES (?, ?, ?, NULL)",
        device,
        a.version,
        a.assignedAt,
      );
    }
    this.#sql.exec(
      `UPDATE members SET reputation = COALESCE(reputation, ?2),
         quarantined_until = NULLIF(MAX(COALESCE(quarantined_until, 0), COALESCE(?3, 0)), 0) WHERE device = ?1`,
      device,
      handover.reputation,
      handover.quarantinedUntil,
    );
  }

  /**
   * Records a check-in: the device becomes a member if it was not, with its reports, and —
   * given `activeVersion`, the version it may train on — active at it, as markActive would
   * (never backwards). One statement: the row is written once per check-in, not twice.
   */
  seen(
    device: string,
    now: number,
    battery: string | null,
    network: string | null,
    activeVersion: number | null = null,
  ): void {
    this.#sql.exec(
      `INSERT INTO members (device, joined_at, last_seen_at, active_version, battery, network)
       VALUES (?1, ?2, ?2, ?5, ?3, ?4)
       ON CONFLICT (device) DO UPDATE SET last_seen_at = ?2, battery = ?3, network = ?4,
         active_version = CASE WHEN ?5 > COALESCE(active_version, -1) THEN ?5 ELSE active_version END`,
      device,
      now,
      battery,
      network,
      activeVersion,
    );
  }

  /** When the member longest silent that still has telemetry last checked in, or null. */
  oldestTelemetry(): number | null {
    return this.#sql
      .exec<{ at: number | null }>(
        "SELECT MIN(last_seen_at) AS at FROM members WHERE battery IS NOT NULL OR network IS NOT NULL",
      )
      .one().at;
  }

  /** Erases the battery and network reports of members silent since `before` or earlier. */
  eraseTelemetry(before: number): void {
    this.#sql.exec(
      "UPDATE members SET battery = NULL, network = NULL WHERE last_seen_at <= ? AND (battery IS NOT NULL OR network IS NOT NULL)",
      before,
    );
  }

  /** Writes only when the member's activity moves forward. */
  markActive(device: string, version: number): void {
    this.#sql.exec(
      "UPDATE members SET active_version = ?2 WHERE device = ?1 AND (active_version IS NULL OR active_version < ?2)",
      device,
      version,
    );
  }

  count(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members").one().n;
  }

  /**
   * The device's assignment for a version: undefined if none, else when it was given, the
   * update key it contributed (or null), and when that update was accepted (its receipt).
   */
  assignment(device: string, version: number): Assignment | undefined {
    return this.#sql
      .exec<Assignment>(
        "SELECT assigned_at, update_key, received_at FROM assignments WHERE version = ? AND device = ?",
        version,
        device,
      )
      .toArray()[0];
  }

  /** Devices assigned `version` at a check-in. */
  assignedCount(version: number): number {
    return this.#sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM assignments WHERE version = ?", version)
      .one().n;
  }

  assign(device: string, version: number, now: number): void {
    this.#sql.exec(
      "INSERT INTO assignments (device, version, assigned_at, update_key) VALUES (?, ?, ?, NULL)",
      device,
      version,
      now,
    );
  }

  /**
   * The device's update `updateKey` was accepted for `version`: at `receivedAt`, the time
   * its receipt gives (null for a share of a secure round's sum, which has no receipt).
   */
  contribute(device: string, version: number, updateKey: string, receivedAt: number | null): void {
    this.#sql.exec(
      "UPDATE assignments SET update_key = ?, received_at = ? WHERE version = ? AND device = ?",
      updateKey,
      receivedAt,
      version,
      device,
    );
  }

  /** Whether any receipt is kept (the hourly housekeeping has some to expire). */
  hasReceipts(): boolean {
    return (
      this.#sql.exec("SELECT 1 FROM assignments WHERE received_at IS NOT NULL LIMIT 1").toArray().length > 0
    );
  }

  /**
   * Forgets the receipts of updates accepted before `before`: with their assignments, of
   * versions before `staleBefore`; the receipt alone for a version not yet stale, whose
   * assignment is still the device's one vote for it (a retention shorter than a round
   * must not reopen it) and goes when the version does (expireAssignmentsBefore).
   */
  forgetReceiptsBefore(before: number, staleBefore: number): void {
    this.#sql.exec("DELETE FROM assignments WHERE received_at < ? AND version < ?", before, staleBefore);
    this.#sql.exec("UPDATE assignments SET received_at = NULL WHERE received_at < ?", before);
  }

  /**
   * Assignments older than `version` can no longer be used (stale): forgotten, but for those
   * holding a receipt (forgetReceiptsBefore's, on its own clock). Returns the
   * members whose assigned work never came, with how many such assignments each had (one
   * contributed to or handed to another cluster is not one of them).
   */
  expireAssignmentsBefore(version: number): Map<string, number> {
    const unfulfilled = this.#sql
      .exec<{ device: string; n: number }>(
        `SELECT a.device, COUNT(*) AS n FROM assignments a JOIN members m ON m.device = a.device
         WHERE a.version < ? AND a.update_key IS NULL GROUP BY a.device`,
        version,
      )
      .toArray();
    this.#sql.exec("DELETE FROM assignments WHERE version < ? AND received_at IS NULL", version);
    return new Map(unfulfilled.map((r) => [r.device, r.n]));
  }

  /**
   * Active members (active at a version ≥ v − inactiveAfter) that have not contributed to
   * version v, and how many active members there are.
   */
  progress(version: number, inactiveAfter: number): { active: number; contributed: number } {
    return this.#sql
      .exec<{ active: number; contributed: number }>(
        `SELECT COUNT(*) AS active, COUNT(a.update_key) AS contributed FROM members m
         LEFT JOIN assignments a ON a.version = ?1 AND a.device = m.device
         WHERE m.active_version >= ?1 - ?2`,
        version,
        inactiveAfter,
      )
      .one();
  }

  quarantinedUntil(device: string): number | null {
    const [row] = this.#sql
      .exec<{ quarantined_until: number | null }>(
        "SELECT quarantined_until FROM members WHERE device = ?",
        device,
      )
      .toArray();
    return row?.quarantined_until ?? null;
  }

  reputation(device: string): ReputationState | undefined {
    const [row] = this.#sql
      .exec<{ reputation: string | null }>("SELECT reputation FROM members WHERE device = ?", device)
      .toArray();
    return row?.reputation ? (JSON.parse(row.reputation) as ReputationState) : undefined;
  }

  saveReputation(device: string, reputation: ReputationState): void {
    this.#sql.exec("UPDATE members SET reputation = ? WHERE device = ?", JSON.stringify(reputation), device);
  }

  quarantine(device: string, until: number): void {
    this.#sql.exec("UPDATE members SET quarantined_until = ? WHERE device = ?", until, device);
  }

  /** One more flagged update, with its reasons. */
  flagged(device: string, reasons: string): void {
    this.#sql.exec(
      "UPDATE members SET detections = detections + 1, last_detection = ? WHERE device = ?",
      reasons,
      device,
    );
  }

  /** At most `limit` members, newest first. */
  list(limit: number): MemberRow[] {
    return this.#sql
      .exec<MemberRow>("SELECT * FROM members ORDER BY joined_at DESC LIMIT ?", limit)
      .toArray();
  }
}

/**
 * Before an accepted update's receipt was its assignment's received_at, receipts were a table
 * of their own, keyed by update key. Each receipt whose assignment is still here moves into
 * it. The rest belonged to assignments already forgotten, of versions past maxStaleness:
 * a resend of one of those, once after the upgrade, is refused as stale instead of answered
 * with its receipt (the update was counted either way).
 */
function foldReceiptsTable(sql: SqlStorage): void {
  if (!tableExists(sql, "receipts")) return;
  sql.exec(
    `UPDATE assignments SET received_at = (SELECT r.received_at FROM receipts r WHERE r.key = assignments.update_key)
     WHERE update_key IS NOT NULL AND received_at IS NULL`,
  );
  sql.exec("DROP TABLE receipts");
}
