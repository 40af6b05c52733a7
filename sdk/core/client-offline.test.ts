import { describe, expect, it } from "vitest";
import { fixedTrainer, setup, uploadedIds } from "./testing/client-fixture";

const FAST_GIVE_UP = { baseMs: 1000, capMs: 60_000, maxAttempts: 2, maxElapsedMs: 3_600_000 };

describe("FedgeClient offline", () => {
  it("keeps an update it could not send across a restart, and the new client sends it when back online", async () => {
    // Prepare: check-in and download work, then the link drops before the upload.
    const { client, fake, restart } = setup({ backoff: FAST_GIVE_UP });
    fake.script("updates", "offline", "offline");
    const trained = await client.runOnce(fixedTrainer([0.5, 0.5, 0.5, 0.5], 7));
    expect(trained).toMatchObject({ action: "trained", flush: { pending: 1 } });
    const updateId = trained.action === "trained" ? trained.updateId : "";

    // Execute: the app restarts with a new client over the same store and flushes.
    const resumed = restart();
    const flushed = await resumed.flush();

    // Assert: the queued frame arrives unchanged, under its original update id; no second registration.
    expect(flushed).toEqual({ uploaded: [updateId], rejected: [], pending: 0 });
    expect(fake.accepted.get(updateId)).toMatchObject({ sampleWeight: 7, baseVersion: 0 });
    expect([...fake.accepted.get(updateId)!.values]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(uploadedIds(fake)).toEqual([updateId, updateId, updateId]);
    expect(fake.registrations).toBe(1);
    expect(await resumed.stats()).toEqual({
      made: 1,
      uploaded: 1,
      rejectedStale: 0,
      rejected: {},
      pending: 0,
    });
  });

  it("answers wait (offline) with a growing backoff delay while the server is unreachable, without throwing", async () => {
    // Prepare
    const { client, fake } = setup();
    fake.offline = true;
    const trainer = fixedTrainer([1, 1, 1, 1]);

    // Execute
    const first = await client.runOnce(trainer);
    const second = await client.runOnce(trainer);
    fake.offline = false;
    const third = await client.runOnce(trainer);

    // Assert: 0.5 × 1 s, then 0.5 × 2 s; back online, the round trains.
    expect(first).toEqual({ action: "wait", retryAfterMs: 500, reason: "offline" });
    expect(second).toEqual({ action: "wait", retryAfterMs: 1000, reason: "offline" });
    expect(third).toMatchObject({ action: "trained" });
    expect(trainer.calls).toHaveLength(1);
  });

  it("goes on training while uploads fail, up to maxPending queued updates", async () => {
    // Prepare: uploads fail; three versions are published one after another.
    const { client, fake } = setup({ backoff: FAST_GIVE_UP, maxPending: 2 });
    fake.script("updates", ...Array.from({ length: 20 }, () => "offline" as const));
    const trainer = fixedTrainer([1, 1, 1, 1]);

    // Execute
    const results = [];
    for (let v = 0; v < 3; v++) {
      results.push(await client.runOnce(trainer));
      fake.publish(new Float32Array(4).fill(v + 1));
    }

    // Assert: two updates trained and queued; at the bound, the third round does not even check in.
    expect(results.map((r) => r.action)).toEqual(["trained", "trained", "wait"]);
    expect(results[2]).toMatchObject({ reason: "offline" });
    expect(trainer.calls).toHaveLength(2);
    expect(fake.checkins).toHaveLength(2);
    expect((await client.stats()).pending).toBe(2);
  });

  it("at the bound, trains again once a flush has emptied the queue", async () => {
    const { client, fake } = setup({ backoff: FAST_GIVE_UP, maxPending: 1 });
    fake.script("updates", "offline", "offline");
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    fake.publish(new Float32Array(4));
    const next = await client.runOnce(fixedTrainer([2, 2, 2, 2]));
    expect(next).toMatchObject({ action: "trained", version: 1, flush: { pending: 0 } });
    expect(await client.stats()).toMatchObject({ made: 2, uploaded: 2, pending: 0 });
  });
});
