/**
 * Edge admission (workers/admission.ts): the Rate Limiting binding refuses floods with
 * 429 rate_limited and a Retry-After, before the cluster is called. The binding counts in
 * fixed windows aligned to the clock (10 s here), so a burst of 2 × limit + 1 requests
 * meets a refusal whatever window boundary it straddles.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterStub } from "../durable-objects/stubs";
import { RATE_WINDOW_SECONDS } from "../workers/admission";
import { api, createTask, flatModel, register, seededVector, upload } from "./helpers";

/** wrangler.toml's [[ratelimits]] limits. */
const UPLOADS_PER_WINDOW = 20;
const REGISTRATIONS_PER_WINDOW = 30;

async function expectRateLimited(res: Response) {
  expect(res.status).toBe(429);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
  const retryAfter = Number(res.headers.get("Retry-After"));
  expect(retryAfter).toBeGreaterThanOrEqual(RATE_WINDOW_SECONDS / 2);
  expect(retryAfter).toBeLessThanOrEqual(RATE_WINDOW_SECONDS);
}

describe("edge admission", () => {
  it("refuses a device's uploads past its limit with 429 rate_limited at the edge, and not another device's", async () => {
    // Prepare
    await createTask("flood", { model: flatModel(4), round: { targetUpdates: 100 } });
    const greedy = await register("flood", "weur");
    const quiet = await register("flood", "weur");
    const cluster = clusterStub(env, "flood", "weur", greedy.cluster);

    // Execute: one accepted update, then new ids (refused by the cluster: its vote rule, then
    // its own per-device rate) until the edge's limit refuses one without calling the cluster.
    let limited: Response | undefined;
    for (let i = 0; i < 2 * UPLOADS_PER_WINDOW + 1 && !limited; i++) {
      const res = await upload("flood", greedy, seededVector(i + 1, 4), { sampleWeight: 1 });
      const body = (await res.clone().json()) as { error?: { message: string } };
      if (res.status === 429 && body.error?.message.startsWith("too many uploads from this device"))
        limited = res;
    }

    // Assert
    expect(limited).toBeDefined();
    await expectRateLimited(limited!);
    expect((await cluster.status()).openUpdates).toBe(1);
    expect((await upload("flood", quiet, seededVector(99, 4), { sampleWeight: 1 })).status).toBe(202);
  });

  it("refuses registrations from one address past its limit with 429 rate_limited, and not another address's", async () => {
    await createTask("register-flood", { model: flatModel(4) });
    const from = (ip: string) =>
      api("/v1/tasks/register-flood/devices", { method: "POST", headers: { "CF-Connecting-IP": ip } });

    let limited: Response | undefined;
    for (let i = 0; i < 2 * REGISTRATIONS_PER_WINDOW + 1 && !limited; i++) {
      const res = await from("203.0.113.7");
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(201);
    }

    expect(limited).toBeDefined();
    await expectRateLimited(limited!);
    expect((await from("198.51.100.1")).status).toBe(201);
  });
});
