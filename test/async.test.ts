import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterStub, coordinatorStub } from "../durable-objects/stubs";
import { fedAdam, initialState, stalenessWeight } from "../shared/aggregation/index";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import {
  assign,
  createTask,
  type Device,
  flatModel,
  maxAbsDiff,
  register,
  seededVector,
  taskStatus,
  upload,
  waitForVersion,
  weights,
} from "./helpers";

const DIM = 64;

function asyncTask(optimizer: TaskConfigInput["optimizer"]): TaskConfigInput {
  return {
    model: { ...flatModel(DIM), init: { kind: "uniform", scale: 0.5, seed: 5 } },
    optimizer,
    aggregation: { mode: "async", bufferSize: 4, flushSeconds: 0.2 },
    staleness: { weight: { kind: "inverse-sqrt" }, maxStaleness: 1 },
    clusters: { targetSize: 2 },
  };
}

async function devices(task: string, n: number): Promise<Device[]> {
  const out: Device[] = [];
  for (let i = 0; i < n; i++) out.push(await register(task, i % 2 ? "eeur" : "weur"));
  return out;
}

describe("buffered asynchronous aggregation (FedBuff)", () => {
  it("applies a step per K updates, weighting each by s(τ)·n over Σ n", async () => {
    // Prepare: FedAvg with η = 1, so each step adds exactly the pseudo-gradient.
    await createTask("fedbuff", asyncTask({ kind: "fedavg", serverLearningRate: 1 }));
    // Six devices are assigned version 0; four of them make version 1.
    const d = await devices("fedbuff", 6);
    for (const [i, dev] of d.slice(0, 4).entries()) {
      expect((await upload("fedbuff", dev, seededVector(i + 1, DIM), { sampleWeight: 1 + i })).status).toBe(
        202,
      );
    }
    await waitForVersion("fedbuff", 1);
    const v1 = await weights("fedbuff", 1);

    // Execute: two fresh updates (base 1, from devices assigned version 1) and two one version
    // stale (base 0, from the devices that were assigned version 0 but had not reported yet).
    for (const dev of [d[0]!, d[2]!]) expect(await assign("fedbuff", dev)).toBe(1);
    const step = [
      { dev: d[0]!, base: 1, n: 2, x: seededVector(11, DIM) },
      { dev: d[4]!, base: 0, n: 5, x: seededVector(12, DIM) },
      { dev: d[2]!, base: 1, n: 1, x: seededVector(13, DIM) },
      { dev: d[5]!, base: 0, n: 3, x: seededVector(14, DIM) },
    ];
    for (const u of step) {
      expect((await upload("fedbuff", u.dev, u.x, { sampleWeight: u.n, baseVersion: u.base })).status).toBe(
        202,
      );
    }
    await waitForVersion("fedbuff", 2);

    // Assert: v2 − v1 = Σ s(τ)·n·Δ / Σ n, with s(τ) = 1/√(1+τ), computed here in float64.
    const totalN = step.reduce((s, u) => s + u.n, 0);
    const expected = Float64Array.from(v1);
    for (const u of step) {
      const s = 1 / Math.sqrt(1 + (1 - u.base));
      for (let j = 0; j < DIM; j++) expected[j]! += (s * u.n * u.x[j]!) / totalN;
    }
    expect(stalenessWeight({ kind: "inverse-sqrt" }, 1)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(maxAbsDiff(await weights("fedbuff", 2), expected)).toBeLessThanOrEqual(1e-6);
  });

  it("refuses an update staler than the bound with 409 stale_update, changing nothing", async () => {
    await createTask("too-stale", asyncTask({ kind: "fedavg", serverLearningRate: 1 }));
    const d = await devices("too-stale", 4);
    for (let round = 0; round < 2; round++) {
      for (const dev of d) {
        if (round > 0) await assign("too-stale", dev);
        await upload("too-stale", dev, seededVector(round + 1, DIM), { sampleWeight: 1, baseVersion: round });
      }
      await waitForVersion("too-stale", round + 1);
    }
    const before = await taskStatus("too-stale");
    const cluster = clusterStub(env, "too-stale", "weur", 0);
    const clusterBefore = await cluster.status();

    const res = await upload("too-stale", d[0]!, seededVector(9, DIM), { sampleWeight: 1, baseVersion: 0 });

    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("stale_update");
    expect(body.error.message).toMatch(/2 versions old/);
    expect(await cluster.status()).toEqual(clusterBefore);
    const after = await taskStatus("too-stale");
    expect(after.model.version).toBe(before.model.version);
    expect(after.round.updates).toBe(before.round.updates);
  });

  it("keeps FedAdam's moments exactly across a coordinator eviction between steps", async () => {
    const config = { kind: "fedadam" as const, serverLearningRate: 0.05, beta1: 0.9, beta2: 0.99, tau: 1e-3 };
    await createTask("adam-evict", asyncTask(config));
    const d = await devices("adam-evict", 4);
    const oracle = fedAdam({ ...config, biasCorrection: true });
    const state = initialState(oracle, DIM);
    let expected = await weights("adam-evict", 0);

    for (let version = 0; version < 2; version++) {
      const ups = d.map((dev, i) => ({ dev, n: 1 + i, x: seededVector(100 * version + i, DIM) }));
      if (version > 0) for (const dev of d) await assign("adam-evict", dev);
      for (const u of ups)
        await upload("adam-evict", u.dev, u.x, { sampleWeight: u.n, baseVersion: version });
      await waitForVersion("adam-evict", version + 1);
      // The pseudo-gradient Σ nΔ / Σ n (all fresh), then the paper's update, independently of the service.
      const total = ups.reduce((s, u) => s + u.n, 0);
      const delta = new Float32Array(DIM);
      for (const u of ups) for (let j = 0; j < DIM; j++) delta[j]! += (u.n * u.x[j]!) / total;
      expected = oracle.apply(expected, delta, state);
      expect(maxAbsDiff(await weights("adam-evict", version + 1), expected)).toBeLessThanOrEqual(1e-6);
      if (version === 0) await evictDurableObject(coordinatorStub(env, "adam-evict"));
    }
    expect((await taskStatus("adam-evict")).optimizer).toEqual({ kind: "fedadam", step: 2 });
  });
});
