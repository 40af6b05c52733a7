import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { treeNodeStub } from "../durable-objects/stubs";
import type { TaskStatusBody as TaskStatus } from "../shared/protocol/api";
import {
  adminHeaders,
  api,
  assign,
  createTask,
  type Device,
  flatModel,
  freezeTime,
  maxAbsDiff,
  registerOnly,
  seededVector,
  upload,
  waitForVersion,
  weightedAverageStep,
  weights,
} from "./helpers";

const TASK = "growing-tree";

async function status(): Promise<TaskStatus> {
  const res = await api(`/v1/tasks/${TASK}/status`, { headers: adminHeaders() });
  expect(res.status).toBe(200);
  return (await res.json()) as TaskStatus;
}

/** The edge's task view is a second old at most; the admin's read refreshes it now. */
async function refreshView(): Promise<void> {
  expect((await api(`/v1/admin/tasks/${TASK}`, { headers: adminHeaders() })).status).toBe(200);
}

/** Children whose partials a tree node merged: (child, last seq). */
function childrenOf(node: { level: number; index: number } | null) {
  return runInDurableObject(treeNodeStub(env, { task: TASK, region: "weur", node }), (_o, state) =>
    state.storage.sql.exec<{ child: string }>("SELECT child FROM log_received ORDER BY child").toArray(),
  );
}

describe("the aggregation tree", () => {
  it("gains a level when a node would have more than fanIn children: clusters re-parent, every update still counted once", async () => {
    expect(
      (
        await createTask(TASK, {
          model: flatModel(4),
          round: { targetUpdates: 2, deadlineSeconds: 600 },
          clusters: { targetSize: 1, fanIn: 2, reclusterSeconds: 0 },
        })
      ).status,
    ).toBe(201);
    // One device per cluster: two clusters fit under the root.
    const devices: Device[] = [await registerOnly(TASK, "weur"), await registerOnly(TASK, "weur")];
    expect((await status()).tree).toMatchObject({
      depth: 3,
      regions: { weur: { innerLevels: 0, maxFanIn: 2 } },
    });
    for (const [i, d] of devices.entries()) {
      expect(await assign(TASK, d)).toBe(0);
      expect((await upload(TASK, d, seededVector(i + 1, 4), { sampleWeight: 1 })).status).toBe(202);
    }
    await waitForVersion(TASK, 1);
    expect((await childrenOf(null)).map((r) => r.child)).toEqual([`${TASK}/weur/c0`, `${TASK}/weur/c1`]);

    // A third cluster: the root would have three children, so a level of inner nodes appears.
    devices.push(await registerOnly(TASK, "weur"));
    await refreshView();
    expect((await status()).tree).toMatchObject({
      depth: 4,
      regions: { weur: { innerLevels: 1, maxFanIn: 2 } },
    });
    for (const [i, d] of devices.entries()) {
      expect(await assign(TASK, d)).toBe(1);
      expect(
        (await upload(TASK, d, seededVector(i + 10, 4), { sampleWeight: 1, baseVersion: 1 })).status,
      ).toBe(202);
    }
    const view = await waitForVersion(TASK, 2);
    // Clusters 0 and 1 now go through node (1, 0), cluster 2 through node (1, 1); the root hears from those.
    expect((await childrenOf({ level: 1, index: 0 })).map((r) => r.child)).toEqual([
      `${TASK}/weur/c0`,
      `${TASK}/weur/c1`,
    ]);
    expect((await childrenOf({ level: 1, index: 1 })).map((r) => r.child)).toEqual([`${TASK}/weur/c2`]);
    expect((await childrenOf(null)).map((r) => r.child)).toEqual(
      expect.arrayContaining([`${TASK}/weur/1.0`, `${TASK}/weur/1.1`]),
    );
    // Five updates acknowledged, five counted; and the sums exact across the re-parenting.
    expect(view.totals.published + view.totals.coordinator).toBe(5);
    expect(view.versions.map((v) => [v.version, v.updates]).sort()).toEqual([
      [1, 2],
      [2, 3],
    ]);
    const [w0, w1, w2] = [await weights(TASK, 0), await weights(TASK, 1), await weights(TASK, 2)];
    const step = (from: Float32Array, seeds: number[]) =>
      weightedAverageStep(
        from,
        seeds.map((seed) => ({ values: seededVector(seed, 4), n: 1 })),
      );
    expect(maxAbsDiff(w1, step(w0, [1, 2]))).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(w2, step(w1, [10, 11, 12]))).toBeLessThanOrEqual(1e-6);
    // The admin's view of the tree, node by node.
    const tree = (await (
      await api(`/v1/admin/tasks/${TASK}/regions/weur/tree`, { headers: adminHeaders() })
    ).json()) as {
      innerLevels: number;
      nodes: { name: string; level: number; children: number; partials: number }[];
    };
    expect(tree.innerLevels).toBe(1);
    expect(tree.nodes.slice(0, 2)).toEqual([
      { name: `${TASK}/weur/1.0`, level: 1, index: 0, children: 2, partials: expect.any(Number) },
      { name: `${TASK}/weur/1.1`, level: 1, index: 1, children: 1, partials: 1 },
    ]);
    expect(tree.nodes[2]).toMatchObject({ name: `${TASK}/weur`, level: 2 });
  });

  it("grows as log_F(clusters): five clusters under fan-in 2 take two inner levels", async () => {
    for (let i = 0; i < 2; i++) await registerOnly(TASK, "weur");
    expect((await status()).tree).toMatchObject({
      depth: 5,
      regions: { weur: { innerLevels: 2, maxFanIn: 2 } },
    });
  });

  it("sends siblings that appear one after another up together: the first child's partial at once, the next ones a second after the last new child", async () => {
    const task = "settling-tree";
    expect(
      (
        await createTask(task, {
          model: flatModel(4),
          round: { targetUpdates: 3, deadlineSeconds: 3600 },
          clusters: { targetSize: 1, reclusterSeconds: 0 },
        })
      ).status,
    ).toBe(201);
    const setNow = freezeTime();
    const devices = [];
    for (let i = 0; i < 3; i++) {
      const d = await registerOnly(task, "weur");
      await assign(task, d);
      devices.push(d);
    }
    const coordinatorPartials = async () =>
      (
        (await (
          await api(`/v1/admin/tasks/${task}/regions/weur/tree`, { headers: adminHeaders() })
        ).json()) as { coordinator: { partials: number } }
      ).coordinator.partials;
    expect((await upload(task, devices[0]!, seededVector(1, 4), { sampleWeight: 1 })).status).toBe(202);
    await vi.waitFor(async () => expect(await coordinatorPartials()).toBe(1));
    for (const [i, d] of devices.slice(1).entries())
      expect((await upload(task, d, seededVector(i + 2, 4), { sampleWeight: 1 })).status).toBe(202);
    const root = treeNodeStub(env, { task, region: "weur", node: null });
    await vi.waitFor(async () => expect((await root.status()).openUpdates).toBe(2));
    // Complete, but a new child appeared just now: held.
    await runDurableObjectAlarm(root);
    expect(await coordinatorPartials()).toBe(1);
    setNow(Date.now() + 1000);
    await runDurableObjectAlarm(root);
    const view = await waitForVersion(task, 1);
    expect(await coordinatorPartials()).toBe(2);
    expect(view.versions[0]).toMatchObject({ updates: 3 });
  });
});
