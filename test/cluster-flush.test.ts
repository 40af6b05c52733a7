import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterStub } from "../durable-objects/stubs";
import { createTask, flatModel, register, seededVector, taskStatus, upload, waitForVersion } from "./helpers";

describe("when a cluster flushes", () => {
  it("flushes once every member has reported on the version, even if earlier reports already went up", async () => {
    // Prepare: a long deadline, so only the membership rule can trigger the flushes.
    await createTask("late-member", {
      model: flatModel(8),
      round: { targetUpdates: 2, deadlineSeconds: 3600 },
      clusters: { targetSize: 10 },
    });
    const a = await register("late-member", "oc");

    // Execute: A is the only member, reports and is flushed; then B joins and reports.
    expect((await upload("late-member", a, seededVector(1, 8), { sampleWeight: 1 })).status).toBe(202);
    const b = await register("late-member", "oc");
    expect((await upload("late-member", b, seededVector(2, 8), { sampleWeight: 1 })).status).toBe(202);

    // Assert: both reached the coordinator without waiting for the 30-minute cluster deadline.
    await waitForVersion("late-member", 1, 5000);
    expect((await clusterStub(env, "late-member", "oc", 0).status()).openUpdates).toBe(0);
  });

  it("holds a batch while members are still to report, until its wait runs out", async () => {
    await createTask("waiting", { model: flatModel(8), round: { targetUpdates: 3, deadlineSeconds: 2 } });
    const devices = [
      await register("waiting", "sam"),
      await register("waiting", "sam"),
      await register("waiting", "sam"),
    ];
    for (const d of devices.slice(0, 2)) await upload("waiting", d, seededVector(3, 8), { sampleWeight: 1 });
    const cluster = clusterStub(env, "waiting", "sam", 0);
    expect((await cluster.status()).openUpdates).toBe(2);

    // The cluster waits half the 2 s deadline, the region a quarter; the coordinator closes at minUpdates.
    const view = await waitForVersion("waiting", 1, 8000);
    expect(view.model.updates).toBe(2);
    expect((await taskStatus("waiting")).round.round).toBe(2);
  });
});
