import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_ROSTER } from "../durable-objects/storage/secure-rounds";
import { clusterStub, coordinatorStub, regionStub } from "../durable-objects/stubs";
import {
  runSecureRound,
  type SecureOutcome,
  type SecureRoundOptions,
  type SecureTransport,
} from "../sdk/core/secure-round";
import { charge, NOTHING_SPENT } from "../shared/privacy/central-dp";
import { fixedPointScale, quantize } from "../shared/privacy/secagg/protocol";
import type { CheckinAnswer, SecureRoundViewBody } from "../shared/protocol/api";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import {
  api,
  checkin,
  correlation,
  createTask,
  type Device,
  flatModel,
  freezeTime,
  maxAbsDiff,
  registerOnly,
  seededVector,
  taskStatus,
  upload,
  weights,
} from "./helpers";

const DIM = 300;
const N = 5;
/** One fixed-point step at clipNorm 100 (shared/privacy/secagg/protocol.ts): what a device's rounding can move it by, twice. */
const QUANTUM = 1 / fixedPointScale(100, MAX_ROSTER);

function secureTask(
  targetUpdates = N,
  dp: NonNullable<TaskConfigInput["privacy"]>["dp"] = { kind: "off" },
): TaskConfigInput {
  return {
    model: { ...flatModel(DIM), init: { kind: "uniform", scale: 0.5, seed: 3 } },
    round: { targetUpdates, deadlineSeconds: 3600 },
    clusters: { targetSize: N },
    privacy: { secureAggregation: { kind: "secagg", clipNorm: 100, phaseSeconds: 30, minMembers: 3 }, dp },
  };
}

/** The device's calls to its secure round, through the Worker. */
function transport(device: Device): SecureTransport {
  const call = async (url: string, init: RequestInit = {}) => {
    const res = await api(url, {
      ...init,
      headers: { Authorization: `Bearer ${device.token}`, ...(init.headers as Record<string, string>) },
    });
    const body = await res.text();
    if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${body}`);
    return JSON.parse(body) as SecureRoundViewBody;
  };
  return {
    get: (url) => call(url),
    post: (url, body) =>
      call(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    postBytes: (url, body) =>
      call(url, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: body as Uint8Array<ArrayBuffer>,
      }),
  };
}

/** Device `d` takes `update` through its round at `url`, clipping to the task's 100 unless told otherwise. */
function member(d: Device, url: string, update: Float32Array, more: Partial<SecureRoundOptions> = {}) {
  return runSecureRound({
    device: d.deviceId,
    url,
    update,
    clipNorm: 100,
    transport: transport(d),
    sleep: tick,
    ...more,
  });
}

/** Registers N devices in one cluster and checks them in: each is assigned version 0 and told where its round is. */
async function cluster(task: string, targetUpdates = N, dp?: NonNullable<TaskConfigInput["privacy"]>["dp"]) {
  expect((await createTask(task, secureTask(targetUpdates, dp))).status).toBe(201);
  const devices: Device[] = [];
  for (let i = 0; i < N; i++) devices.push(await registerOnly(task, "weur"));
  const urls: string[] = [];
  for (const d of devices) {
    const answer = (await (await checkin(task, d)).json()) as CheckinAnswer;
    if (answer.action !== "train") throw new Error(`expected train, got ${JSON.stringify(answer)}`);
    expect(answer.upload.secure).toMatchObject({ clipNorm: 100, phaseSeconds: 30 });
    urls.push(answer.upload.secure!.url);
  }
  return { devices, urls, stub: clusterStub(env, task, "weur", devices[0]!.cluster) };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 2));

describe("secure aggregation in a cluster (privacy.secureAggregation)", () => {
  it("publishes the mean of the members' updates, and the cluster stores no individual update", async () => {
    const { devices, urls, stub } = await cluster("sa-all");
    const updates = devices.map((_, i) => seededVector(40 + i, DIM));
    const outcomes = await Promise.all(devices.map((d, i) => member(d, urls[i]!, updates[i]!)));
    // Every member has contributed: the cluster's batch goes up at once, and the round closes.
    expect(outcomes.map((o) => o.status)).toEqual(Array(N).fill("aggregated"));
    const view = await waitForVersion("sa-all", 1);
    expect(view.versions[0]).toMatchObject({ version: 1, updates: N });

    const [v0, v1] = [await weights("sa-all", 0), await weights("sa-all", 1)];
    const expected = Float64Array.from(v0, (w, j) => w + updates.reduce((s, u) => s + u[j]!, 0) / N);
    // Within the fixed-point step: each device rounds once, to 1/scale; the mean of N such errors is at most half a step.
    expect(maxAbsDiff(v1, expected)).toBeLessThan(QUANTUM / 2 + 1e-6);

    // Retention: the round's keys, shares and masked inputs are gone; no stored row is a device's update.
    const rows = await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const n = (q: string) => sql.exec<{ n: number }>(q).one().n;
      return {
        keys: n("SELECT COUNT(*) AS n FROM sa_keys"),
        shares: n("SELECT COUNT(*) AS n FROM sa_shares"),
        masked: n("SELECT COUNT(*) AS n FROM sa_masked"),
        revealed: n("SELECT COUNT(*) AS n FROM sa_unmask"),
        blobs: n("SELECT COUNT(*) AS n FROM blob_chunks WHERE key LIKE 'sa:%'"),
        inputs: n("SELECT COUNT(*) AS n FROM log_inputs"),
      };
    });
    expect(rows).toEqual({ keys: 0, shares: 0, masked: 0, revealed: 0, blobs: 0, inputs: 0 });
  });

  it("recovers from members that drop after sharing keys and after masking (phase deadlines run from the alarm)", async () => {
    const advance = freezeTime();
    const start = Date.now();
    const { devices, urls, stub } = await cluster("sa-drop", 4);
    const updates = devices.map((_, i) => seededVector(60 + i, DIM));
    // d0 leaves after sharing its keys (its pairwise masks must be removed); d1 after sending
    // its masked input (its input is in the sum; it reveals no shares).
    const leave = ["shares", "masked", undefined, undefined, undefined] as const;
    const rounds: Promise<SecureOutcome>[] = devices.map((d, i) =>
      member(d, urls[i]!, updates[i]!, leave[i] ? { leaveAfter: leave[i] } : {}),
    );
    // The four that sent masked inputs wait for d0's; at the deadline the round goes on without it.
    await until(stub, "masked", 4);
    advance(start + 31_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Three of four survivors reveal; d1 never does: at the next deadline t = 3 suffices.
    await until(stub, "unmask", 3);
    advance(start + 62_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const outcomes = await Promise.all(rounds);
    expect(outcomes.map((o) => o.status)).toEqual([
      "dropped",
      "dropped",
      "aggregated",
      "aggregated",
      "aggregated",
    ]);
    expect(outcomes[2]).toMatchObject({ members: 4 });

    // The batch holds the four inputs; the cluster flushes it when its wait ends.
    advance(start + 62_000 + 1_800_001);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const view = await waitForVersion("sa-drop", 1);
    expect(view.versions[0]).toMatchObject({ updates: 4 });
    const [v0, v1] = [await weights("sa-drop", 0), await weights("sa-drop", 1)];
    const sum = (j: number) => updates.slice(1).reduce((s, u) => s + u[j]!, 0);
    expect(
      maxAbsDiff(
        v1,
        Float64Array.from(v0, (w, j) => w + sum(j) / 4),
      ),
    ).toBeLessThan(QUANTUM / 2 + 1e-6);
  });

  it("stores no row that equals or correlates with a device's update, mid-round or after, in any tier", async () => {
    const advance = freezeTime();
    const start = Date.now();
    const { devices, urls, stub } = await cluster("sa-rows", 4);
    const updates = devices.map((_, i) => seededVector(100 + i, DIM));
    // d4 leaves after masking: the round waits in its unmask phase, masked inputs stored.
    const rounds = devices.map((d, i) =>
      member(d, urls[i]!, updates[i]!, i === 4 ? { leaveAfter: "masked" } : {}),
    );
    await until(stub, "unmask", 4);
    // As a device's update travels: f32 bytes, and fixed-point words (also read as a signed vector).
    const scale = fixedPointScale(100, MAX_ROSTER);
    const forms = updates.flatMap((u) => [
      new Uint8Array(u.buffer),
      new Uint8Array(quantize(u, 100, scale).buffer),
    ]);
    const scan = (tier: DurableObjectStub) =>
      runInDurableObject(tier, (_i, state) => {
        const sql = state.storage.sql;
        const tables = sql
          .exec<{ name: string }>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
          )
          .toArray();
        const blobs: Uint8Array[] = [];
        for (const { name } of tables) {
          for (const row of sql.exec(`SELECT * FROM "${name}"`)) {
            for (const v of Object.values(row)) if (v instanceof ArrayBuffer) blobs.push(new Uint8Array(v));
          }
        }
        return blobs;
      });
    const leaks = (blobs: Uint8Array[]) =>
      blobs.flatMap((b) =>
        forms.flatMap((f, k) => {
          const equal = b.length === f.length && b.every((x, j) => x === f[j]);
          if (equal) return [`equals form ${k}`];
          if (b.length !== 4 * DIM) return [];
          // Read as f32 and as int32 against the update: |correlation| ≤ 5/√d for unrelated vectors.
          const update = updates[Math.floor(k / 2)]!;
          const views = [new Float32Array(b.slice().buffer), new Int32Array(b.slice().buffer)];
          return views.flatMap((v) =>
            Math.abs(correlation(v, update)) > 5 / Math.sqrt(DIM)
              ? [`correlates with update ${Math.floor(k / 2)}`]
              : [],
          );
        }),
      );
    const midRound = await scan(stub);
    expect(midRound.filter((b) => b.length === 4 * DIM)).toHaveLength(5); // the five masked inputs are there…
    expect(leaks(midRound)).toEqual([]); // …and none is, or resembles, an update

    advance(start + 31_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await Promise.all(rounds);
    await waitForVersion("sa-rows", 1);
    for (const tier of [stub, regionStub(env, "sa-rows", "weur"), coordinatorStub(env, "sa-rows")]) {
      expect(leaks(await scan(tier))).toEqual([]);
    }
  });

  it("keeps a round's fixed point when the task's clipNorm changes mid-round: devices and the unmasking agree", async () => {
    const { devices, urls } = await cluster("sa-change");
    const updates = devices.map((_, i) => seededVector(120 + i, DIM));
    // d4 reaches the masked phase, then waits until the task has changed before it reads the round.
    let atMasked!: () => void;
    const reached = new Promise<void>((resolve) => (atMasked = resolve));
    let changed!: () => void;
    const change = new Promise<void>((resolve) => (changed = resolve));
    const slow = transport(devices[4]!);
    const gated: SecureTransport = {
      ...slow,
      get: async (url) => {
        const view = await slow.get(url);
        if (view.phase !== "masked") return view;
        atMasked();
        await change;
        return slow.get(url);
      },
    };
    const rounds = devices.map((d, i) =>
      i === 4 ? member(d, urls[i]!, updates[i]!, { transport: gated }) : member(d, urls[i]!, updates[i]!),
    );
    await reached;
    await until(clusterStub(env, "sa-change", "weur", devices[0]!.cluster), "masked", 4);
    const config = secureTask();
    const changedTask = await createTask("sa-change", {
      ...config,
      privacy: { secureAggregation: { kind: "secagg", clipNorm: 50, phaseSeconds: 30, minMembers: 3 } },
    });
    expect(changedTask.status).toBe(200);
    changed();
    expect((await Promise.all(rounds)).map((o) => o.status)).toEqual(Array(N).fill("aggregated"));
    await waitForVersion("sa-change", 1);
    const [v0, v1] = [await weights("sa-change", 0), await weights("sa-change", 1)];
    const expected = Float64Array.from(v0, (w, j) => w + updates.reduce((t, u) => t + u[j]!, 0) / N);
    expect(maxAbsDiff(v1, expected)).toBeLessThan(QUANTUM / 2 + 1e-6);
  });

  it("abandons a round that cannot reach t, with the reason, and tells its members", async () => {
    const advance = freezeTime();
    const start = Date.now();
    const { devices, urls, stub } = await cluster("sa-abandon");
    // Only two members advertise keys: fewer than minMembers = 3 when the keys phase ends.
    const rounds = devices.slice(0, 2).map((d, i) => member(d, urls[i]!, seededVector(i + 1, DIM)));
    await until(stub, "keys", 2);
    advance(start + 31_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    for (const outcome of await Promise.all(rounds)) {
      expect(outcome).toEqual({
        status: "dropped",
        version: 0,
        reason: "the round was abandoned: 2 members advertised keys; a round needs 3",
      });
    }
  });

  it("abandons a round whose unmasked sum is larger than its members' clipped updates can make: a member did not clip", async () => {
    const { devices, urls } = await cluster("sa-unclipped");
    const outcomes = await Promise.all(
      // d0 ignores the task's clipNorm (100): every coordinate at the fixed-point bound, a norm of 100·√300.
      devices.map((d, i) =>
        i === 0
          ? member(d, urls[i]!, new Float32Array(DIM).fill(1000), { clipNorm: 1e9 })
          : member(d, urls[i]!, seededVector(i, DIM)),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("dropped");
      expect(outcome.status === "dropped" && outcome.reason).toMatch(
        /^the round was abandoned: the unmasked sum's norm 17\d\d is more than 5 updates clipped to 100 can make: a member did not clip$/,
      );
    }
    expect((await taskStatus("sa-unclipped")).model.version).toBe(0);
  });

  it("with distributed DP, the devices' discrete Gaussian noise sums to N(0, (σC)²) and the version is charged for it", async () => {
    // σ = 10⁻⁴ at C = 100: each of the 5 devices adds std σC/√5 (in its fixed point); the sum carries σC = 0.01.
    const dp = { kind: "distributed", noiseMultiplier: 1e-4, samplingRate: 1, delta: 1e-5 } as const;
    const { devices, urls } = await cluster("sa-ddp", N, dp);
    const updates = devices.map((_, i) => seededVector(80 + i, DIM));
    const outcomes = await Promise.all(devices.map((d, i) => member(d, urls[i]!, updates[i]!)));
    expect(outcomes.map((o) => o.status)).toEqual(Array(N).fill("aggregated"));
    const view = await waitForVersion("sa-ddp", 1);

    const [v0, v1] = [await weights("sa-ddp", 0), await weights("sa-ddp", 1)];
    const residual = Float64Array.from(v1, (w, j) => w - v0[j]! - updates.reduce((s, u) => s + u[j]!, 0) / N);
    // The mean carries σC/N = 0.002 of noise: over 300 coordinates its std is within ±12% (4 standard errors).
    const sd = Math.sqrt(residual.reduce((a, r) => a + r * r, 0) / DIM);
    expect(sd / 0.002).toBeGreaterThan(0.88);
    expect(sd / 0.002).toBeLessThan(1.12);
    // Five updates of the five the round expects: charged at σ itself, one update per device.
    expect(view.versions[0]!.epsilon).toBeCloseTo(
      charge({ ...dp, noiseMultiplier: 1e-4 }, NOTHING_SPENT, 1).epsilon,
      9,
    );
    expect(view.privacy).toMatchObject({ versions: 1, spent: false });
  });

  it("refuses plain uploads for a task that aggregates securely (409 secure_round_required)", async () => {
    const { devices } = await cluster("sa-plain");
    const res = await upload("sa-plain", devices[0]!, seededVector(1, DIM), { sampleWeight: 1 });
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/secure_round_required.*\/v1\/tasks\/sa-plain\/secure\/0/);
  });

  it("refuses a threshold of half the roster or less, and robust aggregation with it (400 invalid_config)", async () => {
    const bad = await createTask("sa-bad", {
      ...secureTask(),
      privacy: { secureAggregation: { kind: "secagg", clipNorm: 1, threshold: 0.5 } },
      aggregation: { mode: "sync", robust: { kind: "median" } },
    });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toMatch(/privacy\.secureAggregation\.threshold/);
  });
});

/** Waits (in small real steps; no alarm runs meanwhile) until `count` devices have answered the phase's call. */
async function until(
  stub: DurableObjectStub,
  phase: "keys" | "masked" | "unmask",
  count: number,
): Promise<void> {
  const table = { keys: "sa_keys", masked: "sa_masked", unmask: "sa_unmask" }[phase];
  for (let i = 0; i < 5000; i++) {
    const n = await runInDurableObject(
      stub,
      (_i, state) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n,
    );
    if (n >= count) return;
    await tick();
  }
  throw new Error(`${count} devices never reached the ${phase} phase`);
}

async function waitForVersion(task: string, version: number) {
  for (let i = 0; i < 2000; i++) {
    const view = await taskStatus(task);
    if (view.model.version >= version) return view;
    await tick();
  }
  throw new Error(`${task} never reached version ${version}`);
}
