import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { referenceBackend } from "../../shared/kernels/reference";
import { Codec } from "../../shared/protocol/frame";
import { AggregationLog } from "./aggregation-log";
import { BlobStore } from "./blob-store";
import { ensureTable } from "./schema";

function withSql<T>(name: string, fn: (sql: SqlStorage) => T): Promise<T> {
  return runInDurableObject(env.DIRECTORY.getByName(name), (_instance, state) => fn(state.storage.sql));
}

const definition = (sql: SqlStorage, table: string) =>
  sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).one()
    .sql;

describe("ensureTable", () => {
  it("creates a missing table, leaves a current one alone, and rebuilds an old one keeping its rows in the columns both have", () =>
    withSql("schema-ensure", (sql) => {
      const create =
        "CREATE TABLE IF NOT EXISTS t (key TEXT PRIMARY KEY, n INTEGER NOT NULL, note TEXT) WITHOUT ROWID";
      const current = (d: string) => d.includes("WITHOUT ROWID");
      // An old definition: a rowid table with a column since dropped.
      sql.exec("CREATE TABLE t (key TEXT PRIMARY KEY, n INTEGER NOT NULL, gone TEXT)");
      sql.exec("INSERT INTO t (key, n, gone) VALUES ('a', 1, 'x'), ('b', 2, 'y')");

      ensureTable(sql, "t", create, current);

      expect(definition(sql, "t")).toContain("WITHOUT ROWID");
      expect(sql.exec("SELECT key, n, note FROM t ORDER BY key").toArray()).toEqual([
        { key: "a", n: 1, note: null },
        { key: "b", n: 2, note: null },
      ]);
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name LIKE 't__old%'").toArray()).toEqual([]);
      // Current: nothing happens, rows stay.
      ensureTable(sql, "t", create, current);
      expect(sql.exec("SELECT COUNT(*) AS n FROM t").one().n).toBe(2);
      // Missing: created.
      ensureTable(sql, "u", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY)", () => true);
      expect(definition(sql, "u")).toContain("CREATE TABLE");
    }));

  it("rebuilds an aggregation log stored with AUTOINCREMENT, a unique id and batch marks: the sealed batch and the open inputs are kept, in order, and still summed", () =>
    withSql("schema-log", (sql) => {
      // The log's schema before the lean one: input 7 sealed in batch 1, 8 and 9 open.
      sql.exec(`CREATE TABLE log_inputs (
        seqno INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, codec INTEGER NOT NULL,
        scale REAL NOT NULL, weight REAL NOT NULL, count INTEGER NOT NULL, norm REAL NOT NULL,
        batch INTEGER, received_at INTEGER NOT NULL, first_at INTEGER NOT NULL, payload BLOB)`);
      sql.exec(`CREATE TABLE log_batches (
        seq INTEGER PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0,
        metrics TEXT NOT NULL DEFAULT '{"counters":{},"histograms":{}}', route TEXT)`);
      sql.exec("INSERT INTO log_batches (seq) VALUES (1)");
      for (const [seqno, id, batch, values] of [
        [7, "d3:u", 1, [100, 200]],
        [8, "d2:u", null, [1, 2]],
        [9, "d1:u", null, [10, 20]],
      ] as const) {
        sql.exec(
          "INSERT INTO log_inputs (seqno, id, source, codec, scale, weight, count, norm, batch, received_at, first_at, payload) VALUES (?, ?, ?, ?, 1, 1, 1, 1, ?, ?, ?, ?)",
          seqno,
          id,
          id,
          Codec.DenseF32,
          batch,
          seqno,
          seqno,
          Float32Array.from(values).buffer,
        );
      }

      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 2);

      expect(definition(sql, "log_inputs")).not.toMatch(/AUTOINCREMENT|UNIQUE|batch/);
      const ids = () =>
        sql
          .exec<{ id: string }>("SELECT id FROM log_inputs ORDER BY seqno")
          .toArray()
          .map((r) => r.id);
      expect(ids()).toEqual(["d3:u", "d2:u", "d1:u"]);
      expect(
        sql
          .exec("SELECT COUNT(*) AS n FROM sqlite_master WHERE tbl_name = 'log_inputs' AND type = 'index'")
          .one().n,
      ).toBe(0);
      expect(log.pending?.seq).toBe(1);
      expect(log.openInputs).toBe(2);
      expect(Array.from(log.openSum())).toEqual([11, 22]);
      expect(log.inputs(1).map((i) => i.id)).toEqual(["d3:u"]);
      expect(Array.from(log.seal(20)!.sum)).toEqual([100, 200]);
      // A new input follows the largest seqno; acknowledging batch 1 forgets only its input.
      log.append(
        {
          id: "d4:u",
          source: "d4",
          codec: Codec.DenseF32,
          payload: new Uint8Array(Float32Array.from([1, 1]).buffer),
          scale: 1,
          weight: 1,
          count: 1,
          norm: Math.SQRT2,
        },
        10,
      );
      log.acknowledge(1);
      expect(ids()).toEqual(["d2:u", "d1:u", "d4:u"]);
      expect(Array.from(log.seal(30)!.sum)).toEqual([12, 23]);
    }));
});
