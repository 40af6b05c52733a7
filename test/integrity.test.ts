/**
 * Regression tests for the integrity findings (issue 8): each reproduces what a device, a
 * bad batch or a failed call could do to a round, and pins what happens now.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { Coordinator } from "../durable-objects/coordinator";
import { RegionAggregator } from "../durable-objects/region-aggregator";
import { clusterStub, coordinatorStub, directoryStub, regionStub } from "../durable-objects/stubs";
import { encodeExact } from "../shared/codecs/encoder";
import { emptyMetrics } from "../shared/metrics/metric-set";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import {
  adminHeaders,
  api,
  assign,
  createTask,
  type Device,
  flatModel,
  freezeTime,
  maxAbsDiff,
  register,
  registerOnly,
  seededVector,
  taskStatus,
  upload,
  waitForVersion,
  weightedAverageStep,
  weights,
} from "./helpers";

const DIM = 8;

function model(seed: number): TaskConfigInput["model"] {
  return { ...flatModel(DIM), init: { kind: "uniform", scale: 1, seed } };
}

/** A vector with `value` in its first coordinate and zeros elsewhere. */
function spike(value: number): Float32Array {
  const v = new Float32Array(DIM);
  v[0] = value;
  return v;
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

function allFinite(values: Float32Array): boolean {
  return values.every((v) => Number.isFinite(v));
}

const adminView = taskStatus;

describe("1. finite values whose sum overflows", () => {
  it("never publishes a non-finite model: an update that would overflow the sum is refused before its ack", async () => {
    // Prepare: two regions; a round closes at two updates.
    await createTask("overflow", {
      model: model(1),
      round: { targetUpdates: 2, deadlineSeconds: 3600 },
      clusters: { targetSize: 1 },
    });
    const a = await register("overflow", "weur");
    const b = await register("overflow", "enam");
    const c = await register("overflow", "weur");
    const d = await register("overflow", "enam");

    // Execute: two devices in different regions send finite values near the f32 maximum.
    const huge = [await upload("overflow", a, spike(2e38), { sampleWeight: 1 })];
    huge.push(await upload("overflow", b, spike(2e38), { sampleWeight: 1 }));
    const honest = [seededVector(3, DIM), seededVector(4, DIM)];
    expect((await upload("overflow", c, honest[0]!, { sampleWeight: 1 })).status).toBe(202);
    expect((await upload("overflow", d, honest[1]!, { sampleWeight: 1 })).status).toBe(202);

    // Assert: both are refused with a clear code; version 1 is the honest devices' average.
    for (const res of huge) {
      expect(res.status).toBe(422);
      expect(await errorCode(res)).toBe("aggregate_overflow");
    }
    await waitForVersion("overflow", 1);
    const v1 = await weights("overflow", 1);
    expect(allFinite(v1)).toBe(true);
    const expected = weightedAverageStep(
      await weights("overflow", 0),
      honest.map((values) => ({ values, n: 1 })),
    );
    expect(maxAbsDiff(v1, expected)).toBeLessThanOrEqual(1e-6);
  });

  it("dead-letters the region partials the coordinator cannot add, and publishes a finite model from the rest", async () => {
    // Prepare: three regions, one device per cluster; each region's partial is finite, their sum is not.
    await createTask("overflow-regions", {
      model: model(2),
      round: { targetUpdates: 3, deadlineSeconds: 3600 },
      clusters: { targetSize: 1 },
    });
    const [a, b, c] = [
      await register("overflow-regions", "weur"),
      await register("overflow-regions", "enam"),
      await register("overflow-regions", "apac"),
    ];
    const [d, e] = [await register("overflow-regions", "enam"), await register("overflow-regions", "apac")];

    // Execute: A, B and C send 1.5e38 each; once B's and C's are refused, D and E send honest updates.
    for (const dev of [a, b, c]) {
      expect((await upload("overflow-regions", dev, spike(1.5e38), { sampleWeight: 1 })).status).toBe(202);
    }
    await vi.waitFor(async () => expect((await adminView("overflow-regions")).deadLetters.batches).toBe(2));
    const honest = [seededVector(11, DIM), seededVector(12, DIM)];
    for (const [i, dev] of [d, e].entries()) {
      expect((await upload("overflow-regions", dev, honest[i]!, { sampleWeight: 1 })).status).toBe(202);
    }

    // Assert: version 1 holds A, D and E, and is finite; B's and C's regions list what they dropped.
    await waitForVersion("overflow-regions", 1);
    const [v0, v1] = [await weights("overflow-regions", 0), await weights("overflow-regions", 1)];
    expect(allFinite(v1)).toBe(true);
    expect(v1[0]!).toBeCloseTo(v0[0]! + (1.5e38 + honest[0]![0]! + honest[1]![0]!) / 3, -33);
    const { deadLetters } = await adminView("overflow-regions");
    expect(deadLetters.updates).toBe(2);
    expect(deadLetters.recent.map((r) => [r.tier, r.code]).sort()).toEqual([
      ["overflow-regions/apac", "aggregate_overflow"],
      ["overflow-regions/enam", "aggregate_overflow"],
    ]);
  });
});

describe("2. one refused batch does not wedge its tier", () => {
  it("refuses the update that would overflow its cluster's sum, so the cluster keeps aggregating", async () => {
    // Prepare: one cluster of two; a round closes at two updates.
    await createTask("wedge-cluster", {
      model: model(3),
      round: { targetUpdates: 2, deadlineSeconds: 3600 },
      clusters: { targetSize: 2 },
    });
    const [a, b] = [await register("wedge-cluster", "weur"), await register("wedge-cluster", "weur")];

    // Execute: A's spike is accepted; B's would overflow the cluster's sum, so it is refused,
    // and B then sends a sane update under a new id.
    expect((await upload("wedge-cluster", a!, spike(1e38), { sampleWeight: 1 })).status).toBe(202);
    const refused = await upload("wedge-cluster", b!, spike(1e38), { sampleWeight: 1 });
    expect(refused.status).toBe(422);
    expect(await errorCode(refused)).toBe("aggregate_overflow");
    expect((await upload("wedge-cluster", b!, seededVector(5, DIM), { sampleWeight: 1 })).status).toBe(202);

    // Assert: the round closes with both acknowledged updates, and the model is finite.
    const view = await waitForVersion("wedge-cluster", 1);
    expect(view.model.updates).toBe(2);
    expect(allFinite(await weights("wedge-cluster", 1))).toBe(true);
  });

  it("dead-letters a cluster's batch its region refuses for good, lists its devices, and goes on to the next", async () => {
    // Prepare: three clusters of one in one region; a round closes at one update. The
    // coordinator fails once, so the region holds X's batch while A's and B's partials arrive.
    await createTask("wedge-region", {
      model: model(4),
      round: { targetUpdates: 1, deadlineSeconds: 3600 },
      clusters: { targetSize: 1 },
    });
    const setNow = freezeTime();
    const [x, a, b] = [
      await register("wedge-region", "weur"),
      await register("wedge-region", "weur"),
      await register("wedge-region", "weur"),
    ];
    const region = regionStub(env, "wedge-region", "weur");
    const hold = vi.spyOn(Coordinator.prototype, "ingestPartial").mockImplementationOnce(async () => {
      throw new Error("coordinator restarting");
    });
    onTestFinished(() => hold.mockRestore());
    expect((await upload("wedge-region", x, seededVector(1, DIM), { sampleWeight: 1 })).status).toBe(202);
    await vi.waitFor(async () => expect((await region.status()).pending?.attempts).toBe(1));

    // Execute: A's and B's spikes reach the region's open batch, where they cannot both fit.
    expect((await upload("wedge-region", a, spike(1e38), { sampleWeight: 1 })).status).toBe(202);
    expect((await upload("wedge-region", b, spike(1e38), { sampleWeight: 1 })).status).toBe(202);
    const clusterB = clusterStub(env, "wedge-region", "weur", b.cluster);
    await vi.waitFor(async () => expect((await clusterB.status()).deadLetters.updates).toBe(1));

    // Assert: B's batch is dead-lettered with B's device and the reason, in its cluster and in
    // the admin view; the cluster has nothing pending.
    const status = await clusterB.status();
    expect(status.pending).toBeNull();
    expect(status.deadLetters.recent).toEqual([
      expect.objectContaining({ source: b.deviceId, code: "aggregate_overflow" }),
    ]);
    await vi.waitFor(async () => expect((await adminView("wedge-region")).deadLetters.updates).toBe(1));
    expect((await adminView("wedge-region")).deadLetters.recent[0]).toMatchObject({
      tier: `wedge-region/weur/c${b.cluster}`,
      sources: [b.deviceId],
      code: "aggregate_overflow",
    });

    // …and the region goes on: its retry publishes X's update, then A's, both finite. (A's
    // batch waits a second after A appeared, as a node does while new children keep coming.)
    const retryAt = (await region.status()).pending!.nextAttemptAt;
    setNow(retryAt);
    expect(await runDurableObjectAlarm(region)).toBe(true);
    await waitForVersion("wedge-region", 1);
    setNow(retryAt + 1000);
    await runDurableObjectAlarm(region);
    const view = await waitForVersion("wedge-region", 2);
    expect(view.model.updates).toBe(1);
    for (const v of [1, 2]) expect(allFinite(await weights("wedge-region", v))).toBe(true);
  });
});

describe("3. retries wait for their backoff", () => {
  it("keeps the alarm at the pending batch's retry time even when the open batch's wait has run out", async () => {
    // Prepare: async mode, so the cluster's open batch waits only 100 ms.
    await createTask("backoff", {
      model: model(5),
      aggregation: { mode: "async", bufferSize: 10, flushSeconds: 0.1 },
      clusters: { targetSize: 1 },
    });
    const a = await register("backoff", "weur");
    const cluster = clusterStub(env, "backoff", "weur", a.cluster);
    let calls = 0;
    const failing = vi.spyOn(RegionAggregator.prototype, "ingestPartial").mockImplementation(async () => {
      calls += 1;
      throw new Error("region down");
    });
    onTestFinished(() => failing.mockRestore());
    const setNow = freezeTime();
    const t0 = Date.now();

    // Execute: the first flush fails, and the clock passes the open batch's 100 ms wait.
    expect((await upload("backoff", a, seededVector(7, DIM), { sampleWeight: 1 })).status).toBe(202);
    await vi.waitFor(async () => expect((await cluster.status()).pending?.attempts).toBe(1));
    const retryAt = (await cluster.status()).pending!.nextAttemptAt;
    expect(retryAt).toBeGreaterThanOrEqual(t0 + 500);
    setNow(t0 + 200);

    // Assert: the alarm is the retry's, and an alarm run before it sends nothing.
    expect(await runInDurableObject(cluster, (_, s) => s.storage.getAlarm())).toBe(retryAt);
    expect(await runDurableObjectAlarm(cluster)).toBe(true);
    expect(calls).toBe(1);
    setNow(retryAt);
    expect(await runDurableObjectAlarm(cluster)).toBe(true);
    expect(calls).toBe(2);
    const next = (await cluster.status()).pending!;
    expect(next.attempts).toBe(2);
    expect(next.nextAttemptAt - retryAt).toBeGreaterThanOrEqual(1000);
  });
});

describe("4. registration never leaves a tier unconfigured or a device half-registered", () => {
  it("writes nothing when its one outside call fails, and a retried registration aggregates", async () => {
    // Prepare: the coordinator fails the Directory's first call.
    await createTask("half-registered", {
      model: model(6),
      round: { targetUpdates: 1, deadlineSeconds: 3600 },
    });
    const fails = vi.spyOn(Coordinator.prototype, "noteRegion").mockImplementationOnce(async () => {
      throw new Error("coordinator unreachable");
    });
    onTestFinished(() => fails.mockRestore());

    // Execute
    const first = await api("/v1/tasks/half-registered/devices", {
      method: "POST",
      headers: { "X-Fedge-Region": "sam" },
    });
    const device = await register("half-registered", "sam");
    expect((await upload("half-registered", device, seededVector(8, DIM), { sampleWeight: 1 })).status).toBe(
      202,
    );

    // Assert: the failed registration left no device behind; the retried one's update is published.
    expect(first.status).toBeGreaterThanOrEqual(500);
    const devices = await runInDurableObject(directoryStub(env, "half-registered", "sam"), (_, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM devices").one(),
    );
    expect(devices.n).toBe(1);
    await waitForVersion("half-registered", 1);
  });
});

describe("5. bounded influence", () => {
  it("refuses a sample weight above the task's maximum with sample_weight_too_large, changing nothing", async () => {
    await createTask("heavy", { model: model(7), limits: { maxSampleWeight: 1000 } });
    const a = await register("heavy", "weur");
    for (const weight of [1e30, 3.4e38]) {
      const res = await upload("heavy", a, new Float32Array(DIM), { sampleWeight: weight });
      expect(res.status).toBe(422);
      expect(await errorCode(res)).toBe("sample_weight_too_large");
    }
    expect((await clusterStub(env, "heavy", "weur", a.cluster).status()).openUpdates).toBe(0);
    // The default limit is 100,000 examples.
    await createTask("heavy-default", { model: model(7) });
    const b = await register("heavy-default", "weur");
    expect(
      await errorCode(await upload("heavy-default", b, new Float32Array(DIM), { sampleWeight: 1e30 })),
    ).toBe("sample_weight_too_large");
  });

  it("clips an update to the task's fixed norm bound: ±1e6 moves the model by at most the bound", async () => {
    await createTask("clip-fixed", {
      model: model(8),
      round: { targetUpdates: 1, deadlineSeconds: 3600 },
      limits: { clipping: { kind: "fixed", maxNorm: 1 } },
    });
    const a = await register("clip-fixed", "weur");
    const attack = Float32Array.from({ length: DIM }, (_, i) => (i % 2 ? 1e6 : -1e6));
    expect((await upload("clip-fixed", a, attack, { sampleWeight: 1 })).status).toBe(202);
    await waitForVersion("clip-fixed", 1);
    const [v0, v1] = [await weights("clip-fixed", 0), await weights("clip-fixed", 1)];
    const moved = Math.hypot(...v1.map((w, i) => w - v0[i]!));
    expect(moved).toBeCloseTo(1, 5);
  });

  it("clips adaptively: after honest updates, an outlier is scaled to multiplier × their median norm", async () => {
    // Prepare: the default adaptive clipping (4 × the median of the cluster's last 50 norms, after 5).
    await createTask("clip-adaptive", {
      model: model(9),
      round: { targetUpdates: 6, deadlineSeconds: 3600 },
      clusters: { targetSize: 6 },
    });
    const devices: Device[] = [];
    for (let i = 0; i < 6; i++) devices.push(await register("clip-adaptive", "weur"));
    const honest = devices.slice(0, 5).map((_, i) => spike(1 + i * 0.1)); // norms 1.0 … 1.4, median 1.2
    for (const [i, values] of honest.entries()) {
      expect((await upload("clip-adaptive", devices[i]!, values, { sampleWeight: 1 })).status).toBe(202);
    }

    // Execute: the sixth sends 1e6.
    expect((await upload("clip-adaptive", devices[5]!, spike(1e6), { sampleWeight: 1 })).status).toBe(202);

    // Assert: it counted as 4 × 1.2 = 4.8.
    await waitForVersion("clip-adaptive", 1);
    const [v0, v1] = [await weights("clip-adaptive", 0), await weights("clip-adaptive", 1)];
    const expected = (1 + 1.1 + 1.2 + 1.3 + 1.4 + 4.8) / 6;
    expect(v1[0]! - v0[0]!).toBeCloseTo(expected, 5);
  });

  it("keeps the adaptive clipping window through an eviction: norms already sent upstream and norms still open both count", async () => {
    // Prepare: three devices. Version 0 takes norms 1.0, 1.1, 1.2 (sealed, sent up, gone from
    // the cluster's log); in version 1 two of them send 1.3 and 1.4, still open when the cluster is evicted.
    await createTask("clip-evict", {
      model: model(16),
      round: { targetUpdates: 3, deadlineSeconds: 3600 },
      clusters: { targetSize: 3 },
    });
    const devices: Device[] = [];
    for (let i = 0; i < 3; i++) devices.push(await register("clip-evict", "weur"));
    for (const [i, d] of devices.entries()) {
      expect((await upload("clip-evict", d, spike(1 + i * 0.1), { sampleWeight: 1 })).status).toBe(202);
    }
    await waitForVersion("clip-evict", 1);
    for (const [i, d] of devices.slice(0, 2).entries()) {
      expect(await assign("clip-evict", d)).toBe(1);
      const res = await upload("clip-evict", d, spike(1.3 + i * 0.1), { sampleWeight: 1, baseVersion: 1 });
      expect(res.status).toBe(202);
    }
    const cluster = clusterStub(env, "clip-evict", "weur", devices[0]!.cluster);
    expect((await cluster.status()).openUpdates).toBe(2);
    await evictDurableObject(cluster);

    // Execute: the third sends 1e6.
    expect(await assign("clip-evict", devices[2]!)).toBe(1);
    const res = await upload("clip-evict", devices[2]!, spike(1e6), { sampleWeight: 1, baseVersion: 1 });
    expect(res.status).toBe(202);

    // Assert: the rebuilt cluster still saw five norms (median 1.2): the outlier counted as 4.8.
    await waitForVersion("clip-evict", 2);
    const [v1, v2] = [await weights("clip-evict", 1), await weights("clip-evict", 2)];
    expect(v2[0]! - v1[0]!).toBeCloseTo((1.3 + 1.4 + 4.8) / 3, 5);
  });
});

describe("6. one vote per device per version", () => {
  it("answers a second, different update for the same version with 409 duplicate_contribution", async () => {
    await createTask("one-vote", { model: model(10), round: { targetUpdates: 5, deadlineSeconds: 3600 } });
    const a = await register("one-vote", "weur");
    expect((await upload("one-vote", a, seededVector(1, DIM), { sampleWeight: 1 })).status).toBe(202);
    // Three more ids: within the device's burst of four, so each reaches the vote rule (not its rate limit).
    for (let i = 0; i < 3; i++) {
      const res = await upload("one-vote", a, seededVector(2 + i, DIM), { sampleWeight: 1 });
      expect(res.status).toBe(409);
      expect(await errorCode(res)).toBe("duplicate_contribution");
    }
    await vi.waitFor(async () => expect((await taskStatus("one-vote")).round.updates).toBe(1));
    expect((await taskStatus("one-vote")).model.version).toBe(0);
    expect((await adminView("one-vote")).totals).toEqual({
      published: 0,
      coordinator: 1,
      regions: { weur: 0 },
    });
  });

  it("refuses an upload from a device that was not assigned the version at check-in with 409 not_assigned", async () => {
    await createTask("not-assigned", { model: model(11) });
    const a = await registerOnly("not-assigned", "weur");
    const res = await upload("not-assigned", a, seededVector(1, DIM), { sampleWeight: 1 });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe("not_assigned");
    expect((await clusterStub(env, "not-assigned", "weur", a.cluster).status()).openUpdates).toBe(0);
  });
});

describe("7. members that stop reporting stop holding their cluster", () => {
  it("closes rounds on the active members once the quiet ones are inactive, and takes a returning device's queued update", async () => {
    // Prepare: a cluster of 5 — two active devices, one that checks in once and goes quiet,
    // two that register and never check in. Long waits: only the membership rule or an alarm flushes.
    await createTask("quiet-members", {
      model: model(12),
      round: { targetUpdates: 2, deadlineSeconds: 3600 },
      clusters: { targetSize: 5, inactiveAfterVersions: 1 },
      staleness: { maxStaleness: 10 },
    });
    const setNow = freezeTime();
    const [a, b] = [await register("quiet-members", "oc"), await register("quiet-members", "oc")];
    const quiet = await register("quiet-members", "oc");
    for (let i = 0; i < 2; i++) await registerOnly("quiet-members", "oc");
    const cluster = clusterStub(env, "quiet-members", "oc", 0);
    const round = async (version: number) => {
      setNow(Date.now() + 2000); // past the edge's one-second cache of the task view
      if (version > 0) for (const d of [a, b]) expect(await assign("quiet-members", d)).toBe(version);
      for (const d of [a, b]) {
        const res = await upload("quiet-members", d, seededVector(version, DIM), {
          sampleWeight: 1,
          baseVersion: version,
        });
        expect(res.status).toBe(202);
      }
    };

    // Execute and assert: versions 0 and 1 wait for the quiet member (it was active at 0)…
    for (const version of [0, 1]) {
      await round(version);
      expect((await cluster.status()).openUpdates).toBe(2);
      setNow(Date.now() + 1_800_001);
      expect(await runDurableObjectAlarm(cluster)).toBe(true);
      await waitForVersion("quiet-members", version + 1);
    }
    // …version 2 does not: the round closes on A and B alone, with no alarm.
    await round(2);
    await waitForVersion("quiet-members", 3);

    // The quiet device returns with the update it trained on version 0: still accepted.
    const late = await upload("quiet-members", quiet, seededVector(9, DIM), {
      sampleWeight: 1,
      baseVersion: 0,
    });
    expect(late.status).toBe(202);
    setNow(Date.now() + 2000);
    expect(await assign("quiet-members", quiet)).toBe(3);
  });
});

describe("9. evaluations", () => {
  it("caps a report's examples at the task's maximum sample weight, so one device cannot set a version's accuracy", async () => {
    await createTask("eval-cap", { model: model(13), limits: { maxSampleWeight: 100 } });
    const honest = await register("eval-cap", "weur");
    const liar = await register("eval-cap", "weur");
    const evaluate = (d: Device, body: unknown) =>
      api("/v1/tasks/eval-cap/evaluations", {
        method: "POST",
        headers: { Authorization: `Bearer ${d.token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await evaluate(honest, { version: 0, loss: 0.1, accuracy: 0.9, examples: 100 })).status).toBe(
      202,
    );
    const lie = await evaluate(liar, { version: 0, loss: 5, accuracy: 0, examples: 100_000_000 });
    expect(lie.status).toBe(202);
    expect(await lie.json()).toMatchObject({ examples: 100 });
    const [evaluation] = (await adminView("eval-cap")).evaluations;
    expect(evaluation).toMatchObject({ version: 0, examples: 200 });
    expect(evaluation!.accuracy).toBeCloseTo(0.45, 12);
  });
});

describe("10. one failure shape", () => {
  it("every refusal by a Durable Object is a Result with a documented code", async () => {
    await createTask("result-shape", { model: model(14) });
    expect(
      await coordinatorStub(env, "no-such-task").ingestPartial({
        child: "x",
        seq: 1,
        weight: 1,
        count: 1,
        devices: null,
        version: 0,
        ...encodeExact(new Float32Array(DIM)),
        firstAt: 0,
        metrics: emptyMetrics(),
      }),
    ).toEqual({
      ok: false,
      error: { code: "task_not_found", message: expect.any(String) },
    });
    expect(
      await directoryStub(env, "result-shape", "weur").recordEvaluation("nobody", {
        version: 0,
        loss: 0,
        accuracy: 0,
        examples: 1,
      }),
    ).toEqual({
      ok: false,
      error: { code: "unauthorized", message: expect.any(String) },
    });
    expect(await coordinatorStub(env, "result-shape").rollback(7)).toEqual({
      ok: false,
      error: { code: "version_not_found", message: expect.any(String) },
    });
  });
});

describe("rollback", () => {
  it("publishes an earlier version's weights as a new version, and the admin view lists the versions", async () => {
    await createTask("rollback", { model: model(15), round: { targetUpdates: 1, deadlineSeconds: 3600 } });
    const a = await register("rollback", "weur");
    expect((await upload("rollback", a, seededVector(1, DIM), { sampleWeight: 1 })).status).toBe(202);
    await waitForVersion("rollback", 1);

    const res = await api("/v1/admin/tasks/rollback/rollback", {
      method: "POST",
      headers: adminHeaders(),
      body: JSON.stringify({ version: 0 }),
    });

    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ version: 2, rollbackOf: 0, updates: 0 });
    expect(Array.from(await weights("rollback", 2))).toEqual(Array.from(await weights("rollback", 0)));
    const view = await adminView("rollback");
    expect(view.model.version).toBe(2);
    expect(view.versions.map((v) => [v.version, v.updates, v.rollbackOf])).toEqual([
      [2, 0, 0],
      [1, 1, null],
    ]);
    const bad = await api("/v1/admin/tasks/rollback/rollback", {
      method: "POST",
      headers: adminHeaders(),
      body: JSON.stringify({ version: 9 }),
    });
    expect(bad.status).toBe(404);
    expect(await errorCode(bad)).toBe("version_not_found");
  });
});

describe("unknown tasks", () => {
  it("creates no storage for a task that does not exist", async () => {
    const res = await api("/v1/tasks/never-created/model", { headers: adminHeaders() });
    expect(res.status).toBe(404);
    const tables = await runInDurableObject(coordinatorStub(env, "never-created"), (_, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master").one(),
    );
    expect(tables.n).toBe(0);
  });
});
