/**
 * Trust at the cluster: robust aggregation of a batch, gaming detection that takes a
 * flagged update's weight away, reputation that quarantines a repeat offender.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterStub } from "../durable-objects/stubs";
import { fedMedian } from "../shared/aggregation/index";
import type { TaskStatus } from "../workers/status";
import {
  adminHeaders,
  alarmOf,
  api,
  assign,
  createTask,
  type Device,
  flatModel,
  freezeTime,
  maxAbsDiff,
  register,
  seededVector,
  upload,
  waitForVersion,
  weightedAverageStep,
  weights,
} from "./helpers";

const DIM = 64;
const base = seededVector(7, DIM);
/** Honest updates: a shared direction plus a little noise of their own. */
const honest = (i: number) => base.map((b, j) => b + 0.5 * seededVector(100 + i, DIM)[j]!);
/** The attack: the shared direction flipped and scaled tenfold. */
const attack = () => base.map((b) => -10 * b);

async function cluster(task: string, size: number): Promise<Device[]> {
  const devices: Device[] = [];
  for (let i = 0; i < size; i++) devices.push(await register(task, "weur"));
  return devices;
}

describe("trust at the cluster", () => {
  it("aggregates a batch with the task's robust aggregator: the coordinate median of five updates", async () => {
    await createTask("median", {
      model: flatModel(DIM),
      aggregation: { mode: "sync", robust: { kind: "median" } },
      round: { targetUpdates: 5, deadlineSeconds: 3600 },
      clusters: { targetSize: 5 },
      limits: { clipping: { kind: "off" } },
    });
    const devices = await cluster("median", 5);
    const updates = devices.map((_, i) => (i === 4 ? attack() : honest(i)));
    for (const [i, d] of devices.entries()) {
      expect((await upload("median", d, updates[i]!, { sampleWeight: 1 + i })).status).toBe(202);
    }
    await waitForVersion("median", 1);
    const [v0, v1] = [await weights("median", 0), await weights("median", 1)];
    const moved = v1.map((w, j) => w - v0[j]!);
    expect(maxAbsDiff(moved, fedMedian(updates, [1, 2, 3, 4, 5]))).toBeLessThanOrEqual(1e-5);
  });

  it("gives a flagged update no weight, counts the detection, and quarantines a device flagged again and again", async () => {
    // Prepare: five honest devices and one attacker in one cluster; a round closes at six updates.
    await createTask("gamed", {
      model: flatModel(DIM),
      round: { targetUpdates: 6, deadlineSeconds: 3600 },
      clusters: { targetSize: 6 },
      trust: { detect: true },
      limits: { clipping: { kind: "off" } },
    });
    const devices = await cluster("gamed", 6);
    const attacker = devices[5]!;

    // Execute: three rounds in which the attacker sends its flipped, scaled update.
    const rounds: Float32Array[][] = [];
    for (let version = 0; version < 3; version++) {
      if (version > 0) for (const d of devices) await assign("gamed", d);
      const updates = devices.map((_, i) => (i === 5 ? attack() : honest(i + 10 * version)));
      rounds.push(updates);
      for (const [i, d] of devices.entries()) {
        const res = await upload("gamed", d, updates[i]!, { sampleWeight: 1, baseVersion: version });
        expect(res.status).toBe(202);
      }
      await waitForVersion("gamed", version + 1);
    }

    // Assert: each version moved by the honest devices' mean alone.
    for (let version = 0; version < 3; version++) {
      const before = await weights("gamed", version);
      const honestOnly = rounds[version]!.slice(0, 5).map((values) => ({ values, n: 1 }));
      const diff = maxAbsDiff(await weights("gamed", version + 1), weightedAverageStep(before, honestOnly));
      expect(diff).toBeLessThanOrEqual(1e-5);
    }
    const status = (await (
      await api("/v1/tasks/gamed/status", { headers: adminHeaders() })
    ).json()) as TaskStatus;
    expect(status.gaming["norm-outlier"]).toBeGreaterThanOrEqual(3);
    expect(status.quarantines).toBe(1);
    // The attacker is now quarantined: its next upload is refused with a Retry-After, and stored nowhere.
    await assign("gamed", attacker);
    const refused = await upload("gamed", attacker, attack(), { sampleWeight: 1, baseVersion: 3 });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("quarantined");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    const view = (await (
      await api(`/v1/admin/tasks/gamed/clusters/weur/${attacker.cluster}`, { headers: adminHeaders() })
    ).json()) as { members: { device: string; detections: number; quarantinedUntil: string | null }[] };
    const members = new Map(view.members.map((m) => [m.device, m]));
    expect(members.get(attacker.deviceId)).toMatchObject({
      detections: 3,
      quarantinedUntil: expect.any(String),
    });
    expect(members.get(devices[0]!.deviceId)).toMatchObject({ detections: 0, quarantinedUntil: null });
    // An honest device is not.
    await assign("gamed", devices[0]!);
    expect((await upload("gamed", devices[0]!, honest(99), { sampleWeight: 1, baseVersion: 3 })).status).toBe(
      202,
    );
  });

  it("counts work assigned and never delivered as a timeout in the device's reputation, which never quarantines it", async () => {
    // Prepare: three members; a and b deliver versions 0 and 1, c was assigned version 0 and
    // never uploads. The floor (0.45) is above what one timeout leaves (T = 1 / 2.3), so a
    // timeout that quarantined would show.
    await createTask("timeouts", {
      model: flatModel(DIM),
      aggregation: { mode: "async", bufferSize: 2, flushSeconds: 0.2 },
      staleness: { maxStaleness: 1 },
      clusters: { targetSize: 3 },
      trust: { detect: true, quarantineBelow: 0.45 },
    });
    const [a, b, c] = await cluster("timeouts", 3);
    for (const version of [0, 1]) {
      for (const [i, d] of [a!, b!].entries()) {
        if (version > 0) expect(await assign("timeouts", d)).toBe(version);
        const res = await upload("timeouts", d, honest(i + 10 * version), {
          sampleWeight: 1,
          baseVersion: version,
        });
        expect(res.status).toBe(202);
      }
      await waitForVersion("timeouts", version + 1);
    }
    // a's check-in at version 2 tells the cluster that version 0's assignments are stale (τ > 1).
    expect(await assign("timeouts", a!)).toBe(2);

    // Execute: the hourly housekeeping.
    const advance = freezeTime();
    advance(Date.now() + 2 * 3600_000);
    const stub = clusterStub(env, "timeouts", "weur", c!.cluster);
    while ((await alarmOf(stub)) !== null && (await alarmOf(stub))! <= Date.now())
      await runDurableObjectAlarm(stub);

    // Assert: c has one timeout (half a detection: T = (a·W) / (η·0.5 + W) = 1 / 2.3), no
    // detection and no quarantine; a and b, which delivered, have no negative evidence.
    const view = (await (
      await api(`/v1/admin/tasks/timeouts/clusters/weur/${c!.cluster}`, { headers: adminHeaders() })
    ).json()) as {
      members: {
        device: string;
        reputation: number | null;
        detections: number;
        quarantinedUntil: string | null;
      }[];
    };
    const members = new Map(view.members.map((m) => [m.device, m]));
    expect(members.get(c!.deviceId)?.reputation).toBeCloseTo(1 / 2.3, 9);
    expect(members.get(c!.deviceId)).toMatchObject({ detections: 0, quarantinedUntil: null });
    for (const d of [a!, b!]) expect(members.get(d.deviceId)!.reputation!).toBeGreaterThan(0.5);
  });
});
