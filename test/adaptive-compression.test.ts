import { describe, expect, it } from "vitest";
import { predictedBytes } from "../shared/codecs/controller";
import type { CheckinAnswer, ClusterView } from "../shared/protocol/api";
import {
  adminHeaders,
  api,
  checkin,
  createTask,
  type Device,
  flatModel,
  registerOnly,
  seededVector,
  upload,
  waitForVersion,
} from "./helpers";

const DIM = 65_536;
const SLOW = { type: "cellular", uplinkBytesPerSecond: 12_500, rttMs: 400 };
const FAST = { type: "wifi", uplinkBytesPerSecond: 6_250_000, rttMs: 30 };

async function createAdaptiveTask(task: string, controller: object = {}) {
  const created = await createTask(task, {
    model: flatModel(DIM),
    round: { targetUpdates: 2, deadlineSeconds: 60 },
    compression: { density: 0.01, bits: 8, controller: { kind: "linucb", ...controller } },
  });
  expect(created.status).toBe(201);
}

/** Checks in with `body` until the device is assigned `version`; returns the level assigned. */
async function levelFor(task: string, device: Device, version: number, body: object) {
  for (;;) {
    const res = await checkin(task, device, body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as CheckinAnswer;
    if (answer.action === "train" && answer.upload.baseVersion === version) return answer.upload.compression;
    // The edge's view of the task is a second old at most.
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function clusterView(task: string): Promise<ClusterView> {
  const res = await api(`/v1/admin/tasks/${task}/clusters/afr/0`, { headers: adminHeaders() });
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterView;
}

describe("the adaptive compression controller", () => {
  it("assigns each device a level from its measured uplink: sparse at 100 kbit/s, dense at 50 Mbit/s, the task's level unmeasured", async () => {
    const task = "adaptive-levels";
    await createAdaptiveTask(task);
    const [slow, fast, unmeasured] = [
      await registerOnly(task, "afr"),
      await registerOnly(task, "afr"),
      await registerOnly(task, "afr"),
    ];
    const slowLevel = await levelFor(task, slow, 0, { network: SLOW });
    const fastLevel = await levelFor(task, fast, 0, { network: FAST });
    expect(slowLevel!.density).toBeLessThanOrEqual(0.01);
    expect(fastLevel!.density).toBe(1);
    expect(await levelFor(task, unmeasured, 0, {})).toEqual({ density: 0.01, bits: 8 });
    // Two pulls wait for their updates; nothing learned yet.
    const view = await clusterView(task);
    expect(view.compression?.pending).toBe(2);
    expect(view.compression?.levels.reduce((s, l) => s + l.pulls, 0)).toBe(0);
  });

  it("learns from each level's update once its batch is sealed and the device reports its residual, and moves a device whose link slowed to a sparse level", async () => {
    const task = "adaptive-learning";
    await createAdaptiveTask(task);
    const [a, b] = [await registerOnly(task, "afr"), await registerOnly(task, "afr")];
    const aLevel = await levelFor(task, a, 0, { network: SLOW });
    const bLevel = await levelFor(task, b, 0, { network: FAST });
    expect(bLevel!.density).toBeGreaterThan(aLevel!.density!);
    // Two updates pointing nearly the same way: each is useful against the other.
    const base = seededVector(1, DIM);
    const nudged = base.map((v, i) => v + 0.01 * Math.sin(i));
    expect((await upload(task, a, base, { sampleWeight: 1 })).status).toBe(202);
    expect((await upload(task, b, nudged, { sampleWeight: 1 })).status).toBe(202);
    await waitForVersion(task, 1);
    expect((await clusterView(task)).compression?.pending).toBe(2);

    // b's link has slowed: the same device now gets a sparse level.
    const bNext = await levelFor(task, b, 1, { network: SLOW, compression: { residualRatio: 0 } });
    expect(bNext!.density).toBeLessThanOrEqual(0.01);
    const view = await clusterView(task);
    const learned = view.compression!.levels.filter((l) => l.pulls > 0);
    // b's dense update was learned from: no residual, cosine ≈ 1 with a's: 0.3·1 + 0.3·1 = 0.6,
    // pulled toward it from the prior by one observation.
    expect(learned).toEqual([
      expect.objectContaining({ density: bLevel!.density, bits: bLevel!.bits, pulls: 1 }),
    ]);
    expect(learned[0]!.learned).toBeGreaterThan(0.45);
    // a has not checked in since: its pull waits for its report.
    expect(view.compression!.pending).toBe(2);
  });

  it("refuses a residual ratio outside [0, 1] with 400 naming the field, assigning nothing", async () => {
    const task = "adaptive-bad-report";
    await createAdaptiveTask(task);
    const d = await registerOnly(task, "afr");
    const res = await checkin(task, d, { network: SLOW, compression: { residualRatio: 2 } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("bad_request");
    expect(error.message).toMatch(/compression\.residualRatio/);
    expect((await clusterView(task)).compression).toBeNull();
  });

  it("with a byte budget, prices a level as it is assigned: after one fast device is given a dense level, the next fast one gets a sparse level", async () => {
    const task = "adaptive-budget";
    await createAdaptiveTask(task, { byteBudget: { ratio: 250 } });
    const [a, b] = [await registerOnly(task, "afr"), await registerOnly(task, "afr")];

    // The price is 0 at first: the time term gives 50 Mbit/s a dense level…
    const first = (await levelFor(task, a, 0, { network: FAST }))!;
    expect(first.density).toBe(1);
    // …whose ≈ 130 budgets of bytes raise it, so the same link next is given a sparse one.
    const second = (await levelFor(task, b, 0, { network: FAST }))!;
    expect(second.density).toBeLessThanOrEqual(0.01);

    // A device that has not measured its link gets the task's level, which is charged too.
    const c = await registerOnly(task, "afr");
    const unmeasured = (await levelFor(task, c, 0, {}))!;
    expect(unmeasured).toEqual({ density: 0.01, bits: 8 });

    const budget = (48 + 4 * DIM) / 250;
    const step = (level: { density?: number; bits?: number }) =>
      0.05 * (predictedBytes({ density: level.density!, bits: level.bits as 4 | 8 | 16 }, DIM) / budget - 1);
    expect((await clusterView(task)).compression!.price).toBeCloseTo(
      step(first) + step(second) + step(unmeasured),
      9,
    );
  });
});
