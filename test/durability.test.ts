import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import type { ClusterAggregator } from "../durable-objects/cluster-aggregator";
import type { PartialEnvelope } from "../durable-objects/partial";
import { RegionAggregator, type RegionIdentity } from "../durable-objects/region-aggregator";
import { SEND_LEASE_MS } from "../durable-objects/storage/aggregation-log";
import { clusterStub, regionStub } from "../durable-objects/stubs";
import {
  alarmOf,
  freezeTime,
  maxAbsDiff,
  oneClusterTask,
  seededVector,
  upload,
  waitForVersion,
  weightedAverageStep,
  weights,
} from "./helpers";

const DIM = 257;

/** One region, one cluster of `size` devices, a round that closes at `size` updates. */
async function setup(task: string, size: number) {
  const devices = await oneClusterTask(task, size, DIM, 3);
  const updates = devices.map((_, i) => ({ values: seededVector(100 + i, DIM), n: 1 + i }));
  return {
    devices,
    updates,
    initial: await weights(task, 0),
    cluster: clusterStub(env, task, "weur", 0),
    region: regionStub(env, task, "weur"),
    send: (i: number) => upload(task, devices[i]!, updates[i]!.values, { sampleWeight: updates[i]!.n }),
  };
}

describe("an acknowledged update is never lost or counted twice", () => {
  it("survives the cluster being evicted between the 202 and its flush", async () => {
    const s = await setup("evict-cluster", 4);
    for (const i of [0, 1, 2]) expect((await s.send(i)).status).toBe(202);
    expect((await s.cluster.status()).openUpdates).toBe(3);

    await evictDurableObject(s.cluster);
    // The rebuilt log still holds the three acknowledged updates.
    expect((await s.cluster.status()).openUpdates).toBe(3);
    expect((await s.send(3)).status).toBe(202);

    await waitForVersion("evict-cluster", 1);
    expect(
      maxAbsDiff(await weights("evict-cluster", 1), weightedAverageStep(s.initial, s.updates)),
    ).toBeLessThanOrEqual(1e-6);
  });

  it("survives the region being evicted between merging a partial and flushing it", async () => {
    const s = await setup("evict-region", 4);
    // Two clusters would make the region wait; with one, hold the region's flush by failing the coordinator once.
    await runInDurableObject(s.region, (instance: RegionAggregator) => {
      vi.spyOn(
        instance as unknown as { sendToParent: () => Promise<never> },
        "sendToParent",
      ).mockImplementationOnce(async () => {
        throw new Error("coordinator unreachable");
      });
    });
    for (const i of [0, 1, 2, 3]) expect((await s.send(i)).status).toBe(202);
    await vi.waitFor(async () => expect((await s.region.status()).pending?.attempts).toBe(1));

    await evictDurableObject(s.region);
    expect((await s.region.status()).pending).toMatchObject({ attempts: 1 });
    expect(await runDurableObjectAlarm(s.region)).toBe(true);

    await waitForVersion("evict-region", 1);
    expect(
      maxAbsDiff(await weights("evict-region", 1), weightedAverageStep(s.initial, s.updates)),
    ).toBeLessThanOrEqual(1e-6);
  });

  it("retries a flush whose parent throws, and the parent merges it once", async () => {
    const s = await setup("parent-throws", 3);
    let calls = 0;
    // First call: the parent merges, then the ack is lost. The child must resend; the parent must not double-count.
    const proto = RegionAggregator.prototype;
    const original = proto.ingestPartial;
    const spy = vi.spyOn(proto, "ingestPartial").mockImplementation(async function (
      this: RegionAggregator,
      envelope: PartialEnvelope,
      setup: RegionIdentity,
    ) {
      calls += 1;
      const ack = await original.call(this, envelope, setup);
      if (calls === 1) throw new Error("ack lost in transit");
      return ack;
    });
    onTestFinished(() => spy.mockRestore());
    const setNow = freezeTime();
    for (const i of [0, 1, 2]) expect((await s.send(i)).status).toBe(202);
    await vi.waitFor(async () => expect((await s.cluster.status()).pending?.attempts).toBe(1));
    const retryAt = (await s.cluster.status()).pending!.nextAttemptAt;

    // The alarm is set for the retry, and the retry runs once its time has come.
    expect(await alarmOf(s.cluster)).toBe(retryAt);
    setNow(retryAt);
    expect(await runDurableObjectAlarm(s.cluster)).toBe(true);
    expect(calls).toBe(2);
    expect((await s.cluster.status()).pending).toBeNull();

    await waitForVersion("parent-throws", 1);
    expect(
      maxAbsDiff(await weights("parent-throws", 1), weightedAverageStep(s.initial, s.updates)),
    ).toBeLessThanOrEqual(1e-6);
  });

  it("recovers a batch sealed mid-flush when the cluster is evicted before the parent answers", async () => {
    const s = await setup("mid-flush", 3);
    const spy = vi.spyOn(RegionAggregator.prototype, "ingestPartial").mockImplementationOnce(async () => {
      throw new Error("region restarting");
    });
    onTestFinished(() => spy.mockRestore());
    for (const i of [0, 1, 2]) expect((await s.send(i)).status).toBe(202);
    await vi.waitFor(async () => expect((await s.cluster.status()).pending?.attempts).toBe(1));

    await evictDurableObject(s.cluster);
    expect(await runDurableObjectAlarm(s.cluster)).toBe(true);

    await waitForVersion("mid-flush", 1);
    expect(
      maxAbsDiff(await weights("mid-flush", 1), weightedAverageStep(s.initial, s.updates)),
    ).toBeLessThanOrEqual(1e-6);
  });

  it("keeps an alarm set while a batch is in flight, so a sender that dies mid-send is retried", async () => {
    const s = await setup("in-flight", 2);
    // The region holds the first send until released, as a slow or dying link would.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const original = RegionAggregator.prototype.ingestPartial;
    const spy = vi.spyOn(RegionAggregator.prototype, "ingestPartial").mockImplementationOnce(async function (
      this: RegionAggregator,
      envelope: PartialEnvelope,
      setup: RegionIdentity,
    ) {
      await held;
      return original.call(this, envelope, setup);
    });
    onTestFinished(() => spy.mockRestore());
    const before = Date.now();
    for (const i of [0, 1]) expect((await s.send(i)).status).toBe(202);
    await vi.waitFor(() => expect(spy).toHaveBeenCalled());

    // The batch is sealed and in flight: an alarm stands at the end of its send lease.
    const pending = (await s.cluster.status()).pending;
    expect(pending?.attempts).toBe(0);
    expect(pending?.nextAttemptAt).toBeGreaterThanOrEqual(before + SEND_LEASE_MS);
    const alarm = await runInDurableObject(s.cluster, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBe(pending?.nextAttemptAt);

    release();
    await waitForVersion("in-flight", 1);
    expect((await s.cluster.status()).pending).toBeNull();
  });

  it("keeps a resent update id to one count and answers it with the original receipt", async () => {
    const s = await setup("duplicates", 2);
    const frameOf = (i: number, updateId: string) =>
      upload("duplicates", s.devices[i]!, s.updates[i]!.values, { sampleWeight: s.updates[i]!.n, updateId });
    const first = await frameOf(0, "0123456789abcdef0123456789abcdef");
    const again = await frameOf(0, "0123456789abcdef0123456789abcdef");
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(await first.json());
    expect((await s.cluster.status()).openUpdates).toBe(1);

    expect((await s.send(1)).status).toBe(202);
    await waitForVersion("duplicates", 1);
    // Resent after the batch was flushed and deleted: still answered, still not counted.
    const late = await frameOf(0, "0123456789abcdef0123456789abcdef");
    expect(late.status).toBe(202);
    expect((await s.cluster.status()).openUpdates).toBe(0);
    expect(
      maxAbsDiff(await weights("duplicates", 1), weightedAverageStep(s.initial, s.updates)),
    ).toBeLessThanOrEqual(1e-6);
  });
});

describe("the cluster's state after eviction", () => {
  it("rebuilds a bit-identical running sum from its log", async () => {
    const s = await setup("rebuild", 5);
    for (const i of [0, 1, 2]) expect((await s.send(i)).status).toBe(202);
    const openSum = () =>
      runInDurableObject(s.cluster, (instance: ClusterAggregator) => {
        const internals = instance as unknown as {
          identity(): unknown;
          log(id: unknown): { openSum(): Float32Array };
        };
        return Array.from(internals.log(internals.identity()).openSum());
      });
    const before = await openSum();
    expect(before.some((v) => v !== 0)).toBe(true);

    await evictDurableObject(s.cluster);

    expect(await openSum()).toEqual(before);
  });
});

describe("metrics a tier stored", () => {
  it("are reset in the transaction that seals them into a batch: after the region's flush none are left to send again", async () => {
    // Prepare: the region stores the metrics it merges from its cluster's partial (persistMetrics).
    const s = await setup("metrics-reset", 2);
    const storedMetrics = (stub: DurableObjectStub) =>
      runInDurableObject(stub, (_instance, state) =>
        state.storage.sql
          .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'metrics'")
          .toArray()
          .map((r) => JSON.parse(r.value)),
      );

    // Execute: the version closes, so the cluster and the region each seal and send a batch.
    for (const i of [0, 1]) expect((await s.send(i)).status).toBe(202);
    await waitForVersion("metrics-reset", 1);

    // Assert: both hold an empty set (or none), so an eviction now would not send a metric twice.
    for (const stub of [s.cluster, s.region]) {
      const stored = await storedMetrics(stub);
      expect(
        stored.every((m) => Object.keys(m.counters).length === 0 && Object.keys(m.histograms).length === 0),
      ).toBe(true);
    }
  });
});
