/**
 * `npm run test:regions`: fedge's deploy build in workerd with devices in several regions
 * (the X-Fedge-Region override, honoured in local runs) and latency injected between the
 * tiers per region pair (scripts/regions/latency-entry.js wraps the build; fedge's code does
 * not know it). Checks that devices land in their region's clusters, that the tree the
 * status and cluster views show is the one registered, and that the published model is
 * exactly the sample-weighted average of every device's update, computed here
 * independently. Ends with an "N passed, N failed" line; exits 1 when a check fails.
 */
import { fileURLToPath } from "node:url";
import type {
  AdminTaskViewBody,
  CheckinAnswer,
  ClusterView,
  Registration,
  TaskStatusBody,
} from "../shared/protocol/api";
import { encodeDenseF32Frame, randomUpdateId } from "../shared/protocol/frame";
import type { Region } from "../shared/regions";
import { seededVector } from "../test/fixtures";
import { check, run as runChecks } from "./checks";
import { startLocalService } from "./local-service";

const TASK = "cross-region";
const DIM = 32;
const CLUSTER_SIZE = 3;
const COORDINATOR: Region = "enam";
/** Devices per region: uneven, so clusters fill differently in each. */
const FLEET: Partial<Record<Region, number>> = { enam: 4, weur: 5, apac: 3, sam: 2 };
/** One-way milliseconds between regions (about half the real round-trip times). */
const LATENCY = {
  coordinatorRegion: COORDINATOR,
  sameRegionMs: 2,
  defaultMs: 60,
  pairs: { "weur>enam": 40, "apac>enam": 90, "sam>enam": 60, "apac>weur": 110 },
};

async function main(): Promise<void> {
  const started = Date.now();
  const service = await startLocalService({
    outdir: ".wrangler/test-regions",
    entry: fileURLToPath(new URL("./regions/latency-entry.js", import.meta.url)),
    bindings: { REGION_LATENCY: JSON.stringify(LATENCY) },
  });
  try {
    await run(service.fetch, service.adminToken);
  } finally {
    await service.dispose();
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function run(fetch: (path: string, init?: RequestInit) => Promise<Response>, adminToken: string) {
  const admin = { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" };
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(path, init);
    if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const total = Object.values(FLEET).reduce((s, n) => s + n, 0);

  // A task whose one round takes every device's update; nothing clips or reweights them.
  await json(`/v1/admin/tasks/${TASK}`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({
      model: {
        parameters: DIM,
        layout: [{ name: "w", shape: [DIM], offset: 0 }],
        init: { kind: "uniform", scale: 1, seed: 7 },
      },
      round: { targetUpdates: total, deadlineSeconds: 3600 },
      clusters: { targetSize: CLUSTER_SIZE },
      limits: { clipping: { kind: "off" } },
      placement: { coordinatorRegion: COORDINATOR },
    }),
  });
  const v0 = await fetch(`/v1/tasks/${TASK}/model/0/weights`, { headers: admin });
  const initial = new Float32Array(await v0.arrayBuffer());
  check("the initial model has the task's parameters", initial.length === DIM, `${initial.length}`);

  // Register every region's devices concurrently, as a fleet would.
  const devices = (
    await Promise.all(
      Object.entries(FLEET).flatMap(([region, n]) =>
        Array.from({ length: n }, async () => ({
          asked: region as Region,
          registration: await json<Registration>(`/v1/tasks/${TASK}/devices`, {
            method: "POST",
            headers: { "X-Fedge-Region": region },
          }),
        })),
      ),
    )
  ).map((d, i) => ({ ...d, seed: 1000 + i, weight: 1 + (i % 5) * 7 }));
  const misplaced = devices.filter((d) => d.registration.region !== d.asked);
  check(
    "every device is registered in the region it asked for",
    misplaced.length === 0,
    misplaced.map((d) => `${d.asked} → ${d.registration.region}`).join(", "),
  );

  // The tree as registered: per region, clusters of at most CLUSTER_SIZE, filled in order.
  const byRegion = new Map<Region, typeof devices>();
  for (const d of devices) byRegion.set(d.asked, [...(byRegion.get(d.asked) ?? []), d]);
  for (const [region, members] of byRegion) {
    const indices = members.map((d) => d.registration.cluster).sort((a, b) => a - b);
    const expected = members.map((_, i) => Math.floor(i / CLUSTER_SIZE));
    check(
      `${region}: ${members.length} devices in clusters of ${CLUSTER_SIZE}`,
      JSON.stringify(indices) === JSON.stringify(expected),
      `clusters ${indices.join(",")}, expected ${expected.join(",")}`,
    );
  }

  // Train: check in, upload Δ with the device's weight.
  await Promise.all(
    devices.map(async (d) => {
      // Every request from the device's region, so the edge that takes it is there too.
      const auth = { Authorization: `Bearer ${d.registration.token}`, "X-Fedge-Region": d.asked };
      const answer = await json<CheckinAnswer>(`/v1/tasks/${TASK}/checkin`, {
        method: "POST",
        headers: auth,
      });
      if (answer.action !== "train") throw new Error(`${d.registration.deviceId}: told to ${answer.action}`);
      const frame = encodeDenseF32Frame(seededVector(d.seed, DIM), {
        baseVersion: answer.upload.baseVersion,
        sampleWeight: d.weight,
        updateId: randomUpdateId(),
        layoutHash: answer.upload.layoutHash,
      });
      const res = await fetch(`/v1/tasks/${TASK}/updates`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/octet-stream" },
        body: frame.slice(),
      });
      if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`);
    }),
  );

  // Wait for the round to publish (flushes run in the background, across the injected latency).
  const deadline = Date.now() + 30_000;
  let view = await json<AdminTaskViewBody>(`/v1/admin/tasks/${TASK}`, { headers: admin });
  while (view.model.version < 1 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    view = await json<AdminTaskViewBody>(`/v1/admin/tasks/${TASK}`, { headers: admin });
  }
  check("version 1 is published", view.model.version === 1, `version ${view.model.version}`);
  check(`it aggregates all ${total} updates`, view.model.updates === total, `${view.model.updates} updates`);

  const status = await json<TaskStatusBody>(`/v1/tasks/${TASK}/status`, { headers: admin });
  const regions = status.tree.regions;
  check("the tree is edge → cluster → region → coordinator", status.tree.depth === 3, `${status.tree.depth}`);
  check(
    "the status tree has exactly the regions that have devices",
    JSON.stringify(Object.keys(regions).sort()) === JSON.stringify([...byRegion.keys()].sort()),
    Object.keys(regions).join(","),
  );
  for (const [region, members] of byRegion) {
    const shape = regions[region];
    const clusters = Math.ceil(members.length / CLUSTER_SIZE);
    check(
      `${region}: the tree shows ${members.length} devices in ${clusters} clusters`,
      shape?.devices === members.length &&
        shape.clusters === clusters &&
        shape.maxClusterSize === Math.min(CLUSTER_SIZE, members.length),
      JSON.stringify(shape),
    );
    for (let index = 0; index < clusters; index++) {
      const cluster = await json<ClusterView>(`/v1/admin/tasks/${TASK}/clusters/${region}/${index}`, {
        headers: admin,
      });
      const want = members
        .filter((d) => d.registration.cluster === index)
        .map((d) => d.registration.deviceId)
        .sort();
      const got = cluster.members.map((m) => m.device).sort();
      check(
        `${region}/c${index}: its members are the devices registered to it`,
        JSON.stringify(got) === JSON.stringify(want),
        `${got.length} members, expected ${want.length}`,
      );
    }
  }

  // The oracle: w1 = w0 + Σ nᵢΔᵢ / Σ nᵢ in float64 (FedAvg, server learning rate 1).
  const weightSum = devices.reduce((s, d) => s + d.weight, 0);
  const expected = Float64Array.from(initial);
  for (const d of devices) {
    const delta = seededVector(d.seed, DIM);
    for (let j = 0; j < DIM; j++) expected[j]! += (d.weight * delta[j]!) / weightSum;
  }
  const published = new Float32Array(
    await (await fetch(`/v1/tasks/${TASK}/model/1/weights`, { headers: admin })).arrayBuffer(),
  );
  let maxDiff = 0;
  for (let j = 0; j < DIM; j++) maxDiff = Math.max(maxDiff, Math.abs(published[j]! - expected[j]!));
  check(
    "the published model is the sample-weighted average of every update (|Δ| ≤ 1e-5)",
    published.length === DIM && maxDiff <= 1e-5,
    `max |difference| ${maxDiff.toExponential(2)}`,
  );

  // The latency was there: every region's tiers reached the coordinator across its link.
  const injected = await json<Record<string, { calls: number; ms: number }>>("/__regions/latency");
  for (const region of byRegion.keys()) {
    if (region === COORDINATOR) continue;
    const link = injected[`${region}>${COORDINATOR}`];
    check(
      `${region} → ${COORDINATOR}: calls crossed the injected latency`,
      (link?.calls ?? 0) > 0 && (link?.ms ?? 0) > 0,
      JSON.stringify(link ?? null),
    );
  }
  for (const [pair, { calls, ms }] of Object.entries(injected).sort()) {
    console.log(`       ${pair.padEnd(12)} ${String(calls).padStart(5)} calls, ${ms} ms injected`);
  }
}

await runChecks("regions check", 120_000, main);
