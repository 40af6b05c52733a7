import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterStub, coordinatorStub, regionStub } from "../durable-objects/stubs";
import { encodeExact } from "../shared/codecs/encoder";
import { emptyMetrics } from "../shared/metrics/metric-set";
import { type CentralDp, charge, NOTHING_SPENT } from "../shared/privacy/central-dp";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import {
  adminHeaders,
  api,
  checkin,
  createTask,
  type Device,
  flatModel,
  meanAndStd,
  register,
  seededVector,
  taskStatus,
  upload,
  waitForVersion,
  weights,
} from "./helpers";

const DIM = 2000;
const K = 4;
/** Tiny noise, so that the test can see both the signal (unit weights, clipping) and the noise. */
const DP: CentralDp = { kind: "central", clipNorm: 10, noiseMultiplier: 0.001, samplingRate: 1, delta: 1e-5 };

function dpTask(dp: TaskConfigInput["privacy"] = { dp: DP }): TaskConfigInput {
  return {
    model: { ...flatModel(DIM), init: { kind: "uniform", scale: 0.5, seed: 9 } },
    aggregation: { mode: "async", bufferSize: K, flushSeconds: 0.1 },
    clusters: { targetSize: K },
    privacy: dp,
  };
}

async function devices(task: string, n: number): Promise<Device[]> {
  const out: Device[] = [];
  for (let i = 0; i < n; i++) out.push(await register(task, "weur"));
  return out;
}

describe("central differential privacy (privacy.dp)", () => {
  it("publishes (Σ updates clipped to C, each of weight 1, + N(0, (σC)²)) / K and reports ε for the version", async () => {
    await createTask("dp-step", dpTask());
    const d = await devices("dp-step", K);
    // ‖x‖ ≈ √(2000/3) ≈ 26 > C = 10: every update is clipped; the sample weights claimed are ignored.
    const updates = d.map((_, i) => seededVector(100 + i, DIM));
    for (const [i, dev] of d.entries()) {
      expect((await upload("dp-step", dev, updates[i]!, { sampleWeight: 10 ** i })).status).toBe(202);
    }
    await waitForVersion("dp-step", 1);

    const v0 = await weights("dp-step", 0);
    const v1 = await weights("dp-step", 1);
    const residual = new Float64Array(DIM);
    for (let j = 0; j < DIM; j++) {
      let sum = 0;
      for (const x of updates) sum += (x[j]! * DP.clipNorm) / Math.hypot(...x);
      residual[j] = v1[j]! - v0[j]! - sum / K;
    }
    // What is left is the noise: N(0, (σC/K)²), σC/K = 0.0025 (≈1.6% standard error on its std over 2,000 values).
    const noise = meanAndStd(residual);
    expect(Math.abs(noise.mean)).toBeLessThan((4 * 0.0025) / Math.sqrt(DIM));
    expect(noise.std / 0.0025).toBeGreaterThan(0.93);
    expect(noise.std / 0.0025).toBeLessThan(1.07);

    const view = await taskStatus("dp-step");
    const epsilon = charge(DP, NOTHING_SPENT, 1).epsilon;
    expect(view.versions[0]).toMatchObject({ version: 1, updates: K });
    expect(view.versions[0]!.epsilon).toBeCloseTo(epsilon, 9);
    expect(view.versions).toHaveLength(1);
    expect(view.privacy).toEqual({
      epsilon: view.versions[0]!.epsilon,
      delta: 1e-5,
      budget: null,
      spent: false,
      versions: 1,
    });
  });

  it("keeps no device's update once its batch is acknowledged: every tier's log is empty after the version", async () => {
    await createTask("dp-retention", dpTask());
    const d = await devices("dp-retention", K);
    for (const [i, dev] of d.entries()) {
      expect((await upload("dp-retention", dev, seededVector(i + 1, DIM), { sampleWeight: 1 })).status).toBe(
        202,
      );
    }
    await waitForVersion("dp-retention", 1);
    const tiers = [
      clusterStub(env, "dp-retention", "weur", d[0]!.cluster),
      regionStub(env, "dp-retention", "weur"),
      coordinatorStub(env, "dp-retention"),
    ];
    for (const stub of tiers) {
      const rows = await runInDurableObject(stub, (_i, state) => ({
        inputs: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_inputs").one().n,
        blobs: state.storage.sql
          .exec<{ n: number }>("SELECT COUNT(*) AS n FROM blob_chunks WHERE key LIKE 'log:%'")
          .one().n,
      }));
      expect(rows).toEqual({ inputs: 0, blobs: 0 });
    }
  });

  it("charges a version in which one device has b updates at σ/b: the devices' counts ride up with the partials", async () => {
    await createTask("dp-bound", {
      ...dpTask(),
      aggregation: { mode: "async", bufferSize: 1, flushSeconds: 0.1 },
    });
    const sent = await coordinatorStub(env, "dp-bound").ingestPartial({
      child: "weur",
      seq: 1,
      weight: 3,
      count: 3,
      devices: { a: 2, b: 1 },
      version: 0,
      ...encodeExact(new Float32Array(DIM)),
      firstAt: Date.now(),
      metrics: emptyMetrics(),
    });
    expect(sent.ok).toBe(true);
    const view = await waitForVersion("dp-bound", 1);
    expect(view.versions[0]!.epsilon).toBeCloseTo(charge(DP, NOTHING_SPENT, 2).epsilon, 9);
    expect(view.versions[0]!.epsilon).toBeGreaterThan(charge(DP, NOTHING_SPENT, 1).epsilon);
  });

  it("stops at the budget: once no further version fits, check-ins and uploads get 409 privacy_budget_spent", async () => {
    const one = charge(DP, NOTHING_SPENT, 1);
    const two = charge(DP, one.spent, 1);
    const budget = (one.epsilon + two.epsilon) / 2;
    await createTask("dp-budget", dpTask({ dp: { ...DP, epsilonBudget: budget } }));
    const d = await devices("dp-budget", K);
    for (const [i, dev] of d.entries()) {
      expect((await upload("dp-budget", dev, seededVector(i + 1, DIM), { sampleWeight: 1 })).status).toBe(
        202,
      );
    }
    const view = await waitForVersion("dp-budget", 1);
    expect(view.privacy).toMatchObject({ budget, spent: true, versions: 1 });

    // The edge's view of the task is cached for a second; ask until it has seen version 1.
    let refused: Response;
    do refused = await checkin("dp-budget", d[0]!);
    while (refused.status === 200);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("privacy_budget_spent");
    const upload2 = await upload("dp-budget", d[1]!, seededVector(9, DIM), {
      sampleWeight: 1,
      baseVersion: 1,
    });
    expect(upload2.status).toBe(409);
    const body = (await upload2.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("privacy_budget_spent");
    expect(body.error.message).toMatch(/spent its privacy budget .* after 1 versions/);
  });

  it("refuses to turn privacy.dp on or off once the task exists (409 task_conflict), and leaves the task as it was", async () => {
    await createTask("dp-fixed", dpTask());
    const res = await api("/v1/admin/tasks/dp-fixed", {
      method: "PUT",
      headers: { ...adminHeaders(), "Content-Type": "application/json" },
      body: JSON.stringify(dpTask({ dp: { kind: "off" } })),
    });
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/privacy\.dp\.kind cannot change/);
    expect((await taskStatus("dp-fixed")).task.config.privacy.dp.kind).toBe("central");
  });
});
