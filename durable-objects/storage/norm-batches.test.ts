import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { referenceBackend } from "../../shared/kernels/reference";
import { Codec } from "../../shared/protocol/frame";
import { AggregationLog } from "./aggregation-log";
import { BlobStore } from "./blob-store";
import { createNormBatches, keepNorms, sealedNorms } from "./norm-batches";

/** Runs `fn` against the real SQLite storage of a fresh Durable Object. */
function withStorage<T>(name: string, fn: (sql: SqlStorage) => T): Promise<T> {
  return runInDurableObject(env.DIRECTORY.getByName(name), (_instance, state) => fn(state.storage.sql));
}

describe("norm batches", () => {
  it("keep the fewest newest batches that hold the window's norms, oldest first", () =>
    withStorage("norms-window", (sql) => {
      createNormBatches(sql);
      keepNorms(sql, [], 5); // an empty batch stores nothing
      expect(sealedNorms(sql)).toEqual([]);
      keepNorms(sql, [1, 2], 5);
      keepNorms(sql, [3, 4], 5);
      keepNorms(sql, [5, 6], 5);
      expect(sealedNorms(sql)).toEqual([1, 2, 3, 4, 5, 6]); // 4 newest norms would miss the fifth
      keepNorms(sql, [7, 8], 5); // 8, 7, 6, 5, 4: [1, 2] is no longer needed
      expect(sealedNorms(sql)).toEqual([3, 4, 5, 6, 7, 8]);
      keepNorms(sql, [9, 10, 11, 12, 13], 5); // one batch holds the whole window
      expect(sealedNorms(sql)).toEqual([9, 10, 11, 12, 13]);
    }));

  it("take in a norms table an older version left (one row per update), leaving the open inputs' norms to the log", () =>
    withStorage("norms-fold", (sql) => {
      // Prepare: five accepted norms, one row each; the first three were sealed and sent up,
      // the last two are still open inputs in the log.
      sql.exec("CREATE TABLE norms (id INTEGER PRIMARY KEY, norm REAL NOT NULL)");
      for (const norm of [1, 2, 3, 4, 5]) sql.exec("INSERT INTO norms (norm) VALUES (?)", norm);
      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 1);
      for (const [i, norm] of [1, 2, 3, 4, 5].entries()) {
        const payload = new Uint8Array(Float32Array.of(norm).buffer);
        log.append(
          {
            id: `d${i}:u`,
            source: `d${i}`,
            codec: Codec.DenseF32,
            payload,
            scale: 1,
            weight: 1,
            count: 1,
            norm,
          },
          i,
        );
        if (i === 2) {
          const sealed = log.seal(10);
          if (sealed) log.acknowledge(sealed.seq);
        }
      }
      expect(log.norms(null).map((i) => i.norm)).toEqual([4, 5]);

      // Execute: the cluster's schema set-up, as it wakes with this version.
      createNormBatches(sql);

      // Assert: the stored batches hold the norms up to the last seal; the table is gone.
      expect(sealedNorms(sql)).toEqual([1, 2, 3]);
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'norms'").toArray()).toEqual([]);
    }));
});
