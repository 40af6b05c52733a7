import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../shared/codecs/codec-error";
import { encodeExact, encodeUpdate } from "../../shared/codecs/encoder";
import { IndexCoding } from "../../shared/codecs/ids";
import { SeededRandom } from "../../shared/codecs/random";
import { referenceBackend } from "../../shared/kernels/reference";
import { emptyMetrics } from "../../shared/metrics/metric-set";
import { Codec, parseFrame } from "../../shared/protocol/frame";
import { wasmBackend } from "../../wasm/index";
import { AggregationLog, type LogInput, retryDelayMs } from "./aggregation-log";
import { BlobStore, CHUNK_BYTES } from "./blob-store";

/** Runs `fn` against the real SQLite storage of a fresh Durable Object. */
function withStorage<T>(name: string, fn: (sql: SqlStorage) => T): Promise<T> {
  return runInDurableObject(env.DIRECTORY.getByName(name), (_instance, state) => fn(state.storage.sql));
}

function input(id: string, values: number[], scale: number): LogInput {
  const v = Float32Array.from(values);
  return {
    id,
    source: id,
    codec: Codec.DenseF32,
    payload: new Uint8Array(v.buffer),
    scale,
    weight: scale,
    count: 1,
    norm: Math.hypot(...values),
  };
}

describe("AggregationLog", () => {
  it("seals the open inputs into a batch whose sum is Σ scale·x, and forgets them on ack", async () => {
    await withStorage("log-seal", (sql) => {
      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 2);
      log.append(input("a", [1, 2], 2), 1000);
      log.append(input("b", [10, 20], 1), 2000);
      expect(log.openSince).toBe(1000);

      const batch = log.seal(3000);
      expect(batch).toMatchObject({ seq: 1, weight: 3, count: 2 });
      expect(Array.from(batch!.sum)).toEqual([12, 24]);
      expect(log.openInputs).toBe(0);
      // Until acknowledged, sealing again returns the same batch.
      expect(log.seal(3000)?.seq).toBe(1);

      log.acknowledge(1);
      expect(log.pending).toBeNull();
      expect(log.seal(3000)).toBeNull();
      expect(sql.exec("SELECT COUNT(*) AS n FROM log_inputs").one().n).toBe(0);
      expect(sql.exec("SELECT COUNT(*) AS n FROM blob_chunks").one().n).toBe(0);
    });
  });

  it("rebuilds both the sealed batch and the open inputs from storage", async () => {
    await withStorage("log-rebuild", (sql) => {
      const blobs = new BlobStore(sql);
      const log = new AggregationLog(sql, blobs, referenceBackend, 2);
      log.append(input("a", [1, 1], 1), 1);
      log.seal(3000);
      log.recordFailure(1, 5000);
      log.append(input("b", [3, 4], 2), 2);

      const rebuilt = new AggregationLog(sql, blobs, referenceBackend, 2);
      expect(rebuilt.pending).toEqual(log.pending);
      expect(Array.from(rebuilt.openSum())).toEqual([6, 8]);
      expect(rebuilt.openSince).toBe(2);
      expect(Array.from(rebuilt.seal(6000)!.sum)).toEqual([1, 1]);
    });
  });

  it("keeps a sealed batch's route (its parent when sealed) across a rebuild, whatever route a later seal would name", async () => {
    await withStorage("log-route", (sql) => {
      const blobs = new BlobStore(sql);
      const log = new AggregationLog(sql, blobs, referenceBackend, 2);
      log.append(input("a", [1, 1], 1), 1);
      expect(log.seal(3000, undefined, () => "root")!.route).toBe("root");
      const rebuilt = new AggregationLog(sql, blobs, referenceBackend, 2);
      // The tree has re-parented the sender since: the resend still goes where the batch may have been merged.
      expect(rebuilt.seal(6000, undefined, () => "node 1.0")!.route).toBe("root");
    });
  });

  it("counts each device's updates in a batch, merging the counts its partials carry, across a rebuild", async () => {
    await withStorage("log-devices", (sql) => {
      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 1);
      for (const [id, source] of [
        ["1", "a"],
        ["2", "b"],
        ["3", "a"],
      ] as const) {
        log.append({ ...input(id, [1], 1), source, devices: { [source]: 1 } }, 1);
      }
      const rebuilt = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 1);
      expect(rebuilt.seal(2)!.devices).toEqual({ a: 2, b: 1 });
    });
    await withStorage("log-devices-partials", (sql) => {
      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 1);
      const partial = { weight: 1, count: 2, version: 0, ...encodeExact(Float32Array.of(1)), firstAt: 0 };
      const metrics = emptyMetrics();
      // Two batches of cluster c0 (device a in both) and one of c1.
      log.appendPartial({ ...partial, child: "c0", seq: 1, devices: { a: 1, b: 1 }, metrics }, 1);
      log.appendPartial({ ...partial, child: "c1", seq: 1, devices: { c: 2 }, metrics }, 1);
      log.appendPartial({ ...partial, child: "c0", seq: 2, devices: { a: 1, d: 1 }, metrics }, 1);
      expect(log.seal(2)!.devices).toEqual({ a: 2, b: 1, c: 2, d: 1 });
    });
  });

  it("keeps no counts for a batch in which some input had none (a task without privacy.dp)", async () => {
    await withStorage("log-devices-untracked", (sql) => {
      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 1);
      log.append({ ...input("1", [1], 1), devices: { a: 1 } }, 1);
      log.append(input("2", [1], 1), 1);
      expect(log.seal(2)!.devices).toBeNull();
      log.append(input("3", [1], 1), 3);
      log.acknowledge(1);
      expect(log.seal(4)!.devices).toBeNull();
    });
  });

  it("adds the devices column to a log written before it existed; its inputs have no counts", async () => {
    await withStorage("log-devices-migration", (sql) => {
      sql.exec(`CREATE TABLE log_inputs (
        seqno INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, codec INTEGER NOT NULL,
        scale REAL NOT NULL, weight REAL NOT NULL, count INTEGER NOT NULL, norm REAL NOT NULL,
        batch INTEGER, received_at INTEGER NOT NULL, first_at INTEGER NOT NULL, payload BLOB)`);
      const one = new Uint8Array(Float32Array.of(1).buffer);
      sql.exec(
        "INSERT INTO log_inputs (id, source, codec, scale, weight, count, norm, batch, received_at, first_at, payload) VALUES ('x', 'a', ?, 1, 1, 1, 1, NULL, 0, 0, ?)",
        Codec.DenseF32,
        one.buffer,
      );
      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 1);
      log.append({ ...input("y", [1], 1), devices: { a: 1 } }, 1);
      const sealed = log.seal(2)!;
      expect(sealed.devices).toBeNull();
      expect(sealed.count).toBe(2);
      expect(Array.from(sealed.sum)).toEqual([2]);
    });
  });

  it("merges a child's (child, seq) once and refuses older or repeated sequence numbers", async () => {
    await withStorage("log-partials", (sql) => {
      const log = new AggregationLog(sql, new BlobStore(sql), referenceBackend, 1);
      const env1 = {
        child: "c0",
        seq: 1,
        weight: 2,
        count: 2,
        devices: null,
        version: 0,
        ...encodeExact(Float32Array.of(5)),
        firstAt: 0,
        metrics: emptyMetrics(),
      };
      expect(log.appendPartial(env1, 1)).toBe(true);
      expect(log.appendPartial(env1, 2)).toBe(false);
      expect(log.appendPartial({ ...env1, seq: 2 }, 3)).toBe(true);
      expect(log.appendPartial({ ...env1, seq: 1 }, 4)).toBe(false);
      expect(log.appendPartial({ ...env1, child: "c1" }, 5)).toBe(true);
      expect(log.openCount).toBe(6);
      expect(Array.from(log.openSum())).toEqual([15]);
    });
  });

  it("sums sparse and quantized payloads as their decoded values, and rebuilds them identically", async () => {
    await withStorage("log-codecs", (sql) => {
      // Prepare: sparse-f32 (2 at index 1, −1 at index 3) and sparse-q8 (127/128 at index 0: level 127 of step 1/128).
      const meta = {
        baseVersion: 0,
        sampleWeight: 1,
        updateId: "00112233445566778899aabbccddeeff",
        layoutHash: "00000000",
      };
      const coded = (values: number[], bits: 32 | 8) => {
        const frame = parseFrame(encodeUpdate(Float32Array.from(values), { ...meta, density: 2 / 16, bits }));
        return { codec: frame.header.codec, payload: frame.payload };
      };
      const f32 = coded([0, 2, 0, -1, ...new Array(12).fill(0)], 32);
      const q8 = coded([127 / 128, ...new Array(15).fill(0)], 8);
      expect([f32.codec, q8.codec]).toEqual([Codec.SparseF32, Codec.SparseQ8]);
      const blobs = new BlobStore(sql);
      const log = new AggregationLog(sql, blobs, referenceBackend, 16);

      // Execute
      log.append({ ...input("a", [], 2), ...f32 }, 1);
      log.append({ ...input("b", [], 4), ...q8 }, 2);

      // Assert: 2·[0, 2, 0, −1, …] + 4·[127/128, 0, …]
      expect(Array.from(log.openSum().subarray(0, 5))).toEqual([3.96875, 4, 0, -2, 0]);
      expect(new AggregationLog(sql, blobs, referenceBackend, 16).openSum()).toEqual(log.openSum());
    });
  });

  it("refuses a bad payload with the sum unchanged, and the transaction it runs in keeps no row of it", async () => {
    await runInDurableObject(env.DIRECTORY.getByName("log-bad"), (_instance, state) => {
      // Prepare
      const sql = state.storage.sql;
      const blobs = new BlobStore(sql);
      const log = new AggregationLog(sql, blobs, referenceBackend, 3);
      state.storage.transactionSync(() => log.append(input("a", [1, 2, 3], 1), 1));

      // Execute: a payload one value short, appended as the routes do, in a transaction.
      const append = () => state.storage.transactionSync(() => log.append(input("b", [1, 2], 1), 2));

      // Assert
      expect(append).toThrow(CodecError);
      expect(sql.exec("SELECT COUNT(*) AS n FROM log_inputs").one().n).toBe(1);
      expect(blobs.get("log:b")).toBeNull();
      expect(log.openInputs).toBe(1);
      expect(Array.from(log.openSum())).toEqual([1, 2, 3]);
      expect(new AggregationLog(sql, blobs, referenceBackend, 3).openSum()).toEqual(log.openSum());
    });
  });

  it.each([referenceBackend, wasmBackend])(
    "sums every codec straight from its payload with $name, and rebuilds the sum bit for bit",
    async (backend) => {
      await withStorage(`log-every-codec-${backend.name}`, (sql) => {
        // Prepare: one update of 1000 values in each codec and index coding.
        const dim = 1000;
        const random = new SeededRandom(3);
        const values = Float32Array.from({ length: dim }, () => random.next() - 0.5);
        const meta = {
          baseVersion: 0,
          sampleWeight: 1,
          updateId: "00112233445566778899aabbccddeeff",
          layoutHash: "00000000",
        };
        const updates = [
          {},
          { bits: 16 as const },
          ...[IndexCoding.Varint, IndexCoding.Bitmap, IndexCoding.Rice].flatMap((indexCoding) =>
            ([32, 16, 8, 4] as const).map((bits) => ({ density: 0.1, bits, indexCoding })),
          ),
        ].map((options) => parseFrame(encodeUpdate(values, { ...meta, ...options, random: random.next })));
        const blobs = new BlobStore(sql);
        const log = new AggregationLog(sql, blobs, backend, dim);

        // Execute
        updates.forEach(({ header, payload }, i) => {
          log.append({ ...input(`u${i}`, [], 1 + i / 7), codec: header.codec, payload }, i);
        });

        // Assert: the reference backend's sum, and the same again after a rebuild.
        const reference = new AggregationLog(sql, blobs, referenceBackend, dim).openSum();
        expect(log.openSum()).toEqual(reference);
        expect(new AggregationLog(sql, blobs, backend, dim).openSum()).toEqual(log.openSum());
      });
    },
  );
});

describe("BlobStore", () => {
  it("stores values larger than a SQLite row in chunks and reads them back whole", async () => {
    await withStorage("blobs", (sql) => {
      const store = new BlobStore(sql);
      const big = new Uint8Array(CHUNK_BYTES * 2 + 123).map((_, i) => i % 251);
      store.put("k", big);
      expect(sql.exec("SELECT COUNT(*) AS n FROM blob_chunks WHERE key = 'k'").one().n).toBe(3);
      expect(store.get("k")).toEqual(big);
      store.put("k", Uint8Array.of(1));
      expect(store.get("k")).toEqual(Uint8Array.of(1));
      store.delete("k");
      expect(store.get("k")).toBeNull();
    });
  });
});

describe("retry delays", () => {
  it("grow exponentially from 1 s to a 5-minute cap, jittered within [d/2, d]", () => {
    expect(retryDelayMs(1, () => 0)).toBe(500);
    expect(retryDelayMs(1, () => 1)).toBe(1000);
    expect(retryDelayMs(4, () => 1)).toBe(8000);
    expect(retryDelayMs(50, () => 1)).toBe(300_000);
    expect(retryDelayMs(50, () => 0)).toBe(150_000);
  });
});
