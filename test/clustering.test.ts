import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { decode } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { rebalanceThreshold } from "../durable-objects/directory";
import { directoryStub, treeNodeStub } from "../durable-objects/stubs";
import type { CheckinAnswer, ClusterView, Registration } from "../shared/protocol/api";
import {
  adminHeaders,
  alarmOf,
  api,
  checkin,
  createTask,
  type Device,
  flatModel,
  seededVector,
  upload,
  waitForVersion,
} from "./helpers";

const BASE = "http://fedge.test";

/** Registers with Cloudflare's measurement of the connection (`request.cf`), as a deployed edge sees it. */
async function registerFrom(
  task: string,
  cf: { clientTcpRtt: number; latitude: string; longitude: string; colo?: string },
) {
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/tasks/${task}/devices`, {
      method: "POST",
      headers: { "X-Fedge-Region": "weur" },
      cf,
    }),
  );
  expect(res.status).toBe(201);
  const body = (await res.json()) as Registration;
  return { ...body, layoutHash: body.task.layoutHash } satisfies Device & { cluster: number };
}

const NEAR = { clientTcpRtt: 12, latitude: "48.85", longitude: "2.35" }; // Paris, on fibre
const FAR = { clientTcpRtt: 240, latitude: "64.15", longitude: "-21.94" }; // Reykjavík, on a satellite link

async function clusterOf(token: string): Promise<number> {
  return ((await decode(token)).payload as { cluster: number }).cluster;
}

describe("latency-based clustering", () => {
  it("places newcomers with their network neighbours: near and far devices arriving interleaved end in different clusters", async () => {
    const task = "clustering-online";
    expect((await createTask(task, { model: flatModel(4) })).status).toBe(201);
    const near: number[] = [];
    const far: number[] = [];
    for (let i = 0; i < 8; i++) {
      near.push((await registerFrom(task, NEAR)).cluster);
      far.push((await registerFrom(task, FAR)).cluster);
    }
    expect(new Set(near).size).toBe(1);
    expect(new Set(far).size).toBe(1);
    expect(near[0]).not.toBe(far[0]);
  });

  it("re-clusters from the alarm, and a moved device's updates are never lost: accepted where it was assigned, redirected after its hand-over, and its next check-in carries a token for its new cluster", async () => {
    const task = "clustering-moves";
    expect(
      (
        await createTask(task, {
          model: flatModel(4),
          round: { targetUpdates: 3, deadlineSeconds: 600 },
          clusters: { targetSize: 10, reclusterSeconds: 60 },
        })
      ).status,
    ).toBe(201);
    // Five near devices and five far ones: two clusters online, one (k = ⌈10 / 10⌉) after re-clustering.
    const near = [];
    const far = [];
    for (let i = 0; i < 5; i++) {
      near.push(await registerFrom(task, NEAR));
      far.push(await registerFrom(task, FAR));
    }
    const [home, away] = [near[0]!.cluster, far[0]!.cluster];
    expect(home).not.toBe(away);
    // Three far devices are assigned version 0 by their first cluster.
    const [x, y, z] = [far[0]!, far[1]!, far[2]!];
    for (const d of [x, y, z]) expect((await checkin(task, d)).status).toBe(200);

    const directory = directoryStub(env, task, "weur");
    expect(await runDurableObjectAlarm(directory)).toBe(true);
    const shape = await directory.shape();
    expect(shape).toMatchObject({ clusters: 1, devices: 10, reclusterings: 1, moved: 5 });

    // x uploads before checking in again: its old cluster still holds its assignment and takes it.
    expect((await upload(task, x, seededVector(1, 4), { sampleWeight: 1 })).status).toBe(202);
    // y checks in: handed over, with a token for the new cluster; its assignment went along.
    const answer = (await (await checkin(task, y)).json()) as CheckinAnswer;
    expect(answer.token).toBeDefined();
    expect(await clusterOf(answer.token!)).toBe(home);
    expect(answer).toMatchObject({ action: "wait", reason: "assigned" });
    expect(
      (await upload(task, { ...y, token: answer.token! }, seededVector(2, 4), { sampleWeight: 1 })).status,
    ).toBe(202);
    // z is handed over too, but then uploads with its old token: the old cluster redirects it.
    expect((await checkin(task, z)).status).toBe(200);
    expect((await upload(task, z, seededVector(3, 4), { sampleWeight: 1 })).status).toBe(202);

    // All three count towards the version.
    const view = await waitForVersion(task, 1);
    expect(view.totals.published).toBe(3);
    const oldCluster = (await (
      await api(`/v1/admin/tasks/${task}/clusters/weur/${away}`, { headers: adminHeaders() })
    ).json()) as ClusterView;
    expect(oldCluster.openUpdates).toBe(0);
  });

  it("re-clusters a region at an operator's request, and refuses a region that is not one of the nine", async () => {
    const task = "clustering-admin";
    expect((await createTask(task, { model: flatModel(4), clusters: { targetSize: 4 } })).status).toBe(201);
    for (let i = 0; i < 4; i++) {
      await registerFrom(task, NEAR);
      await registerFrom(task, FAR);
    }
    const post = (region: string) =>
      api(`/v1/admin/tasks/${task}/regions/${region}/recluster`, { method: "POST", headers: adminHeaders() });
    const res = await post("weur");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { region: string; movedNow: number; shape: { clusters: number } };
    // Near and far were already apart: nothing to move.
    expect(body).toMatchObject({ region: "weur", movedNow: 0, shape: { clusters: 2, reclusterings: 1 } });
    const bad = await post("mars");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /region must be one of/,
    );
  });

  it("sizes clusters from how they filled: seals with members missing shrink the region's target at the next re-clustering", async () => {
    const task = "clustering-sizing";
    expect((await createTask(task, { model: flatModel(4), clusters: { targetSize: 10 } })).status).toBe(201);
    for (let i = 0; i < 20; i++) await registerFrom(task, NEAR);
    // The root has heard of twenty seals that found only half their members in (the clusters' metrics say so).
    await runInDurableObject(treeNodeStub(env, { task, region: "weur", node: null }), (_o, state) => {
      state.storage.sql.exec(
        "INSERT INTO cluster_seals (id, fill_sum, fill_count, wait_sum, wait_count) VALUES (0, 10, 20, 0, 0)",
      );
    });
    const res = await api(`/v1/admin/tasks/${task}/regions/weur/recluster`, {
      method: "POST",
      headers: adminHeaders(),
    });
    const body = (await res.json()) as {
      shape: { targetSize: number; clusters: number; maxClusterSize: number };
    };
    expect(body.shape.targetSize).toBe(8);
    // k = ⌈20 / 8⌉ = 3 clusters within [4, 12].
    expect(body.shape.clusters).toBe(3);
    expect(body.shape.maxClusterSize).toBeLessThanOrEqual(12);
    // The stats were taken: a second re-clustering has no evidence and keeps the size.
    const again = (await (
      await api(`/v1/admin/tasks/${task}/regions/weur/recluster`, { method: "POST", headers: adminHeaders() })
    ).json()) as { shape: { targetSize: number } };
    expect(again.shape.targetSize).toBe(8);
  });

  it("re-clusters an uneven region soon rather than after reclusterSeconds: ten near devices in one cluster, two far ones alone", async () => {
    const task = "clustering-rebalance";
    expect(
      (await createTask(task, { model: flatModel(4), clusters: { targetSize: 10, reclusterSeconds: 600 } }))
        .status,
    ).toBe(201);
    for (let i = 0; i < 10; i++) await registerFrom(task, NEAR);
    const directory = directoryStub(env, task, "weur");
    const even = await alarmOf(directory);
    expect(even! - Date.now()).toBeGreaterThan(500_000);
    await registerFrom(task, FAR);
    await registerFrom(task, { clientTcpRtt: 900, latitude: "-33.87", longitude: "151.21" });
    // Sizes 10, 1, 1: the fullest holds 2.5× the mean, past the threshold for three clusters (2).
    expect(await alarmOf(directory)).toBeLessThanOrEqual(Date.now() + 30_000);
    expect([rebalanceThreshold(3), rebalanceThreshold(16), rebalanceThreshold(400)]).toEqual([2, 1.5, 1.25]);
  });

  it("spreads registration over directory shards by Cloudflare location, each placing devices in its own residue class of cluster indices", async () => {
    const task = "clustering-shards";
    const config = { model: flatModel(4), clusters: { targetSize: 5, directoryShards: 4 } };
    expect((await createTask(task, config)).status).toBe(201);
    const colos = ["CDG", "LHR", "FRA", "AMS", "MAD", "MXP", "ARN", "WAW"];
    const placed: { cluster: number; colo: string; device: Device }[] = [];
    for (let i = 0; i < 40; i++) {
      const colo = colos[i % colos.length]!;
      const device = await registerFrom(task, { ...NEAR, colo });
      placed.push({ cluster: device.cluster, colo, device });
    }
    // One shard per location: a location's devices share a residue class.
    for (const colo of colos) {
      const residues = new Set(placed.filter((p) => p.colo === colo).map((p) => p.cluster % 4));
      expect(residues.size).toBe(1);
    }
    const shards = new Set(placed.map((p) => p.cluster % 4));
    expect(shards.size).toBeGreaterThan(1);
    const shardCounts = await Promise.all(
      [0, 1, 2, 3].map(async (s) => (await directoryStub(env, task, "weur", s).shape()).devices),
    );
    expect(shardCounts.reduce((a, b) => a + b, 0)).toBe(40);
    expect(shardCounts.filter((n) => n > 0).length).toBe(shards.size);
    // A device's evaluation reaches its own shard.
    const d = placed[1]!.device;
    const evaluation = await api(`/v1/tasks/${task}/evaluations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${d.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ version: 0, loss: 0.5, accuracy: 0.8, examples: 10 }),
    });
    expect(evaluation.status).toBe(202);
    // The region's shape is its shards' together, and the count cannot change.
    const tree = (await (
      await api(`/v1/admin/tasks/${task}/regions/weur/recluster`, { method: "POST", headers: adminHeaders() })
    ).json()) as { shape: { devices: number } };
    expect(tree.shape.devices).toBe(40);
    const changed = await createTask(task, { ...config, clusters: { targetSize: 5, directoryShards: 2 } });
    expect(changed.status).toBe(409);
    expect(((await changed.json()) as { error: { message: string } }).error.message).toMatch(
      /clusters\.directoryShards cannot change/,
    );
  });

  it("loses a tree level when re-clustering merges clusters: three far-apart clusters under fan-in 2 become two", async () => {
    const task = "clustering-shrink";
    const config = { model: flatModel(4), clusters: { targetSize: 2, fanIn: 2, reclusterSeconds: 0 } };
    expect((await createTask(task, config)).status).toBe(201);
    // Three devices far from each other: a cluster each (one spare allowed), so three clusters.
    await registerFrom(task, NEAR);
    await registerFrom(task, FAR);
    await registerFrom(task, { clientTcpRtt: 900, latitude: "-33.87", longitude: "151.21" });
    const tree = async () =>
      (
        (await (await api(`/v1/tasks/${task}/status`, { headers: adminHeaders() })).json()) as {
          tree: { depth: number; regions: { weur: { clusters: number; innerLevels: number } } };
        }
      ).tree;
    expect(await tree()).toMatchObject({ depth: 4, regions: { weur: { clusters: 3, innerLevels: 1 } } });
    // k = ⌈3 / 2⌉ = 2: the new clusters take the lowest indices, the span falls to 2 ≤ F.
    const res = await api(`/v1/admin/tasks/${task}/regions/weur/recluster`, {
      method: "POST",
      headers: adminHeaders(),
    });
    expect(res.status).toBe(200);
    expect(await tree()).toMatchObject({ depth: 3, regions: { weur: { clusters: 2, innerLevels: 0 } } });
    const view = (await (await api(`/v1/admin/tasks/${task}`, { headers: adminHeaders() })).json()) as {
      tree: Record<string, number>;
    };
    expect(view.tree).toEqual({ weur: 0 });
  });
});
