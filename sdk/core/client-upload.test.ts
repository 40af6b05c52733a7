import { describe, expect, it } from "vitest";
import { fixedTrainer, setup, uploadedIds } from "./testing/client-fixture";
import { sequence } from "./testing/fake-clock";
import type { FedgeEvent } from "./uploader";

const BACKOFF = { baseMs: 1000, capMs: 60_000, maxAttempts: 5, maxElapsedMs: 3_600_000 };

describe("FedgeClient uploads", () => {
  it("retries with full-jitter sleeps, honours Retry-After, and resends the same update id until 202", async () => {
    // Prepare: the upload fails offline, with 503, with 503 + Retry-After: 10, then succeeds.
    const { client, clock, fake } = setup({ random: sequence(0.5, 0.25, 0.5), backoff: BACKOFF });
    fake.script("updates", "offline", { status: 503 }, { status: 503, headers: { "Retry-After": "10" } });

    // Execute
    const result = await client.runOnce(fixedTrainer([1, 2, 3, 4]));

    // Assert: 0.5 × 1 s, 0.25 × 2 s, then max(10 s, 0.5 × 4 s); four attempts, one update id, one acceptance.
    expect(clock.sleeps).toEqual([500, 500, 10_000]);
    const ids = uploadedIds(fake);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(1);
    expect(result).toMatchObject({
      action: "trained",
      updateId: ids[0],
      flush: { uploaded: [ids[0]], pending: 0 },
    });
    expect([...fake.accepted.values()].map((u) => [...u.values])).toEqual([[1, 2, 3, 4]]);
    expect(await client.stats()).toEqual({
      made: 1,
      uploaded: 1,
      rejectedStale: 0,
      rejected: {},
      pending: 0,
    });
  });

  it("retries 429 like a 5xx, no sooner than its Retry-After", async () => {
    const { client, clock, fake } = setup({ backoff: BACKOFF });
    fake.script("updates", { status: 429, headers: { "Retry-After": "30" } });
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    expect(clock.sleeps).toEqual([30_000]);
    expect(fake.accepted.size).toBe(1);
  });

  it("drops an update refused as stale_update, counts it in rejectedStale and reports it", async () => {
    // Prepare
    const events: FedgeEvent[] = [];
    const { client, fake } = setup({ onEvent: (e) => events.push(e) });
    fake.script("updates", { status: 409, code: "stale_update" });

    // Execute
    const result = await client.runOnce(fixedTrainer([1, 1, 1, 1]));

    // Assert: no retry, nothing left queued.
    expect(uploadedIds(fake)).toHaveLength(1);
    expect(result).toMatchObject({
      flush: { rejected: [{ status: 409, code: "stale_update" }], pending: 0 },
    });
    expect(events.filter((e) => e.type === "rejected")).toEqual([
      expect.objectContaining({
        code: "stale_update",
        status: 409,
        baseVersion: 0,
        updateId: uploadedIds(fake)[0],
      }),
    ]);
    expect(await client.stats()).toEqual({
      made: 1,
      uploaded: 0,
      rejectedStale: 1,
      rejected: {},
      pending: 0,
    });
  });

  it("drops an update refused with another 4xx and counts it under the error code", async () => {
    const { client, fake } = setup();
    fake.script(
      "updates",
      { status: 422, code: "layout_mismatch" },
      { status: 413, code: "payload_too_large" },
    );
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    fake.publish(new Float32Array(4));
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    expect(uploadedIds(fake)).toHaveLength(2);
    expect(await client.stats()).toEqual({
      made: 2,
      uploaded: 0,
      rejectedStale: 0,
      rejected: { layout_mismatch: 1, payload_too_large: 1 },
      pending: 0,
    });
  });

  it("keeps an update queued when it runs out of attempts, and sends it on the next flush", async () => {
    // Prepare: five 503s exhaust maxAttempts = 5.
    const { client, clock, fake } = setup({ backoff: BACKOFF });
    fake.script("updates", ...Array.from({ length: 5 }, () => ({ status: 503 })));

    // Execute
    const first = await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    const second = await client.flush();

    // Assert: four sleeps between five attempts, then a clean flush with the same id.
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000]);
    expect(first).toMatchObject({ action: "trained", flush: { uploaded: [], pending: 1 } });
    expect(first.action === "trained" && first.flush.error).toMatchObject({ status: 503 });
    expect(second).toEqual({ uploaded: [uploadedIds(fake)[0]], rejected: [], pending: 0 });
    expect(new Set(uploadedIds(fake)).size).toBe(1);
  });

  it("stops retrying an update after maxElapsedMs, keeping it queued", async () => {
    const { client, clock, fake } = setup({ backoff: { ...BACKOFF, maxAttempts: 100, maxElapsedMs: 2000 } });
    fake.script("updates", ...Array.from({ length: 10 }, () => "offline" as const));
    const result = await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    // 500 ms, then 1000 ms (1.5 s elapsed); the next, 2000 ms, would pass 2 s.
    expect(clock.sleeps).toEqual([500, 1000]);
    expect(result).toMatchObject({ flush: { pending: 1 } });
  });
});

describe("FedgeClient flow control", () => {
  it("sends no more queued updates than the check-in's credits, oldest first, and keeps the rest queued", async () => {
    // Prepare: three updates queued while offline; then the server grants two credits.
    const { client, fake } = setup({ backoff: BACKOFF });
    // Each flush tries the oldest update maxAttempts (5) times, then gives up until the next.
    fake.script("updates", ...Array.from({ length: 15 }, () => ({ status: 503 })));
    for (let i = 0; i < 3; i++) {
      await client.runOnce(fixedTrainer([i, i, i, i]));
      fake.version += 1;
    }
    expect((await client.stats()).pending).toBe(3);
    fake.credits = 2;

    // Execute: the next round makes a fourth update and flushes.
    const result = await client.runOnce(fixedTrainer([9, 9, 9, 9]));

    // Assert: the two oldest went; two wait for the next check-in's credits.
    expect(result).toMatchObject({ action: "trained", flush: { pending: 2 } });
    expect(result.action === "trained" && result.flush.uploaded).toHaveLength(2);
    expect([...fake.accepted.values()].map((u) => u.values[0])).toEqual([0, 1]);
  });
});
