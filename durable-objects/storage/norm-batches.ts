/**
 * A cluster's accepted norms (adaptive clipping's window, the norm-outlier detector's
 * baseline) without a row per update: one row per sealed batch, written in the seal's
 * transaction, as many of the newest as cover the window. The open batch's norms are in the
 * aggregation log itself (AggregationLog.norms).
 */
import { tableExists } from "./schema";

/** Creates the table, folding in a `norms` table of one row per update if an older version left one. */
export function createNormBatches(sql: SqlStorage): void {
  sql.exec(
    "CREATE TABLE IF NOT EXISTS norm_batches (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, norms TEXT NOT NULL)",
  );
  foldNormsTable(sql);
}

/** Stores a sealed batch's norms, and forgets the oldest batches the newest `window` norms do without. */
export function keepNorms(sql: SqlStorage, norms: number[], window: number): void {
  if (norms.length === 0) return;
  sql.exec("INSERT INTO norm_batches (n, norms) VALUES (?, ?)", norms.length, JSON.stringify(norms));
  sql.exec(
    `DELETE FROM norm_batches WHERE seq < (SELECT seq FROM (SELECT seq, SUM(n) OVER (ORDER BY seq DESC) AS newer
       FROM norm_batches) WHERE newer >= ? ORDER BY seq DESC LIMIT 1)`,
    window,
  );
}

/** Every stored sealed batch's norms, oldest first. */
export function sealedNorms(sql: SqlStorage): number[] {
  return sql
    .exec<{ norms: string }>("SELECT norms FROM norm_batches ORDER BY seq")
    .toArray()
    .flatMap((r) => JSON.parse(r.norms) as number[]);
}

/**
 * Before norm_batches, each accepted norm was a row of a `norms` table (an INSERT and a
 * DELETE per update). Its newest rows belong to the log's open inputs, which the log itself
 * keeps: the rest become one batch, and the table goes. Run with the schema.
 */
function foldNormsTable(sql: SqlStorage): void {
  if (!tableExists(sql, "norms")) return;
  const norms = sql
    .exec<{ norm: number }>("SELECT norm FROM norms ORDER BY id")
    .toArray()
    .map((r) => r.norm);
  const open =
    tableExists(sql, "log_inputs") && tableExists(sql, "log_batches")
      ? sql
          .exec<{ n: number }>(
            "SELECT COUNT(*) AS n FROM log_inputs WHERE seqno > COALESCE((SELECT MAX(upto) FROM log_batches), 0)",
          )
          .one().n
      : 0;
  keepNorms(sql, norms.slice(0, Math.max(0, norms.length - open)), norms.length);
  sql.exec("DROP TABLE norms");
}
