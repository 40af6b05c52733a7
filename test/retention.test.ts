import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterStub } from "../durable-objects/stubs";
import {
  alarmOf,
  checkin,
  createTask,
  flatModel,
  freezeTime,
  registerOnly,
  seededVector,
  upload,
} from "./helpers";

const HOUR = 3600_000;

describe("retention (task config `retention`)", () => {
  it("erases receipts after receiptsHours and a silent member's battery and network after telemetryHours", async () => {
    const advance = freezeTime();
    const t0 = Date.now();
    await createTask("retention", {
      model: flatModel(4),
      round: { targetUpdates: 2, deadlineSeconds: 60 },
      clusters: { targetSize: 2 },
      retention: { receiptsHours: 1, telemetryHours: 3 },
    });
    const d = await registerOnly("retention", "weur");
    const e = await registerOnly("retention", "weur");
    const reports = { battery: { level: 0.8, charging: true }, network: { type: "wifi" } };
    expect((await checkin("retention", d, reports)).status).toBe(200);
    expect((await checkin("retention", e, reports)).status).toBe(200);
    expect((await upload("retention", d, seededVector(1, 4), { sampleWeight: 1 })).status).toBe(202);
    const stub = clusterStub(env, "retention", "weur", d.cluster);
    const stored = () =>
      runInDurableObject(stub, (_i, state) => {
        const sql = state.storage.sql;
        return {
          // An accepted update's receipt is its assignment's received_at (durable-objects/storage/cluster-members.ts).
          receipts: sql
            .exec<{ n: number }>("SELECT COUNT(*) AS n FROM assignments WHERE received_at IS NOT NULL")
            .one().n,
          telemetry: sql
            .exec<{ n: number }>(
              "SELECT COUNT(*) AS n FROM members WHERE battery IS NOT NULL OR network IS NOT NULL",
            )
            .one().n,
        };
      });
    expect(await stored()).toEqual({ receipts: 1, telemetry: 2 });

    // The cluster's batch waits (½ the deadline) for the second member; the hour's housekeeping follows.
    advance(t0 + HOUR + 1_000);
    while ((await alarmOf(stub)) !== null && (await alarmOf(stub))! <= Date.now())
      await runDurableObjectAlarm(stub);
    expect(await stored()).toEqual({ receipts: 0, telemetry: 2 });
    // The next alarm is when telemetry is due to go: three hours after the members last checked in.
    expect(await alarmOf(stub)).toBe(t0 + 3 * HOUR);

    // e checks in again at 2 h: its report is kept, d's (silent for 3 h) is erased.
    advance(t0 + 2 * HOUR);
    expect((await checkin("retention", e, reports)).status).toBe(200);
    advance(t0 + 3 * HOUR);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stored()).toEqual({ receipts: 0, telemetry: 1 });
    expect(await alarmOf(stub)).toBe(t0 + 5 * HOUR);
    advance(t0 + 5 * HOUR);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stored()).toEqual({ receipts: 0, telemetry: 0 });
  });

  it("keeps receipts 168 h and telemetry 720 h by default", async () => {
    const created = await createTask("retention-defaults", { model: flatModel(4) });
    const view = (await created.json()) as { task: { config: { retention: unknown } } };
    expect(view.task.config.retention).toEqual({ receiptsHours: 168, telemetryHours: 720 });
  });
});
