/**
 * Congestion control end to end: a device flooding its cluster is refused with 429 and a
 * Retry-After while its peers go on, and nothing acknowledged is lost or counted twice; a
 * request that waited too long to reach its cluster is shed with 503 before any write.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterIdentity } from "../durable-objects/identities";
import { clusterStub } from "../durable-objects/stubs";
import { parseTaskConfig } from "../shared/protocol/task-config";
import {
  createTask,
  type Device,
  denseFrame,
  flatModel,
  register,
  seededVector,
  upload,
  uploadFrame,
  waitForVersion,
} from "./helpers";

const DIM = 8;

describe("congestion control", () => {
  it("answers a flooding device with 429 and Retry-After, takes its peers' updates, and counts each acknowledged update once", async () => {
    // Prepare: one cluster of three; the round closes at three updates.
    await createTask("flooded", {
      model: flatModel(DIM),
      round: { targetUpdates: 3, deadlineSeconds: 3600 },
      clusters: { targetSize: 3 },
    });
    const devices: Device[] = [];
    for (let i = 0; i < 3; i++) devices.push(await register("flooded", "weur"));
    const [greedy, ...quiet] = devices as [Device, ...Device[]];

    // Execute: the greedy device sends 30 frames as fast as it can, one update resent among them.
    const first = denseFrame(greedy, seededVector(1, DIM), { sampleWeight: 1 });
    const statuses: number[] = [];
    const retryAfters: string[] = [];
    for (let i = 0; i < 30; i++) {
      const frame = i % 10 === 0 ? first : denseFrame(greedy, seededVector(2 + i, DIM), { sampleWeight: 1 });
      const res = await uploadFrame("flooded", greedy.token, frame);
      statuses.push(res.status);
      if (res.status === 429) retryAfters.push(res.headers.get("Retry-After") ?? "missing");
    }
    const peers = await Promise.all(
      quiet.map((d, i) => upload("flooded", d, seededVector(50 + i, DIM), { sampleWeight: 1 })),
    );

    // Assert: refusals carry a Retry-After; the peers were not held back; the version holds
    // the greedy device's one update and each peer's, once.
    expect(statuses[0]).toBe(202);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 202 || s === 409 || s === 429)).toBe(true);
    expect(retryAfters.every((r) => Number(r) >= 1)).toBe(true);
    expect(peers.map((r) => r.status)).toEqual([202, 202]);
    const view = await waitForVersion("flooded", 1);
    expect(view.model.updates).toBe(3);
  });

  it("sheds a request that waited too long to reach its cluster with 503 overloaded, writing nothing", async () => {
    await createTask("queued", { model: flatModel(DIM), round: { targetUpdates: 5 } });
    const device = await register("queued", "weur");
    const cluster = clusterStub(env, "queued", "weur", device.cluster);
    const config = parseTaskConfig({ model: flatModel(DIM), round: { targetUpdates: 5 } });
    const payload = new Uint8Array(seededVector(3, DIM).buffer);

    const result = await cluster.submit(
      clusterIdentity("queued", config, "weur", device.cluster),
      {
        device: device.deviceId,
        updateId: `${"0".repeat(31)}1`,
        codec: 0,
        payload,
        sampleWeight: 1,
        baseVersion: 0,
      },
      0,
      Date.now() - 5000,
    );

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("overloaded");
    expect(result.error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await cluster.status()).openUpdates).toBe(0);
    // The same update, on time, is taken.
    expect((await upload("queued", device, seededVector(3, DIM), { sampleWeight: 1 })).status).toBe(202);
  });
});
