import { decode, sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { initialWeights } from "../shared/model-init";
import { parseTaskConfig } from "../shared/protocol/task-config";
import {
  api,
  createTask,
  type Device,
  flatModel,
  registerOnly,
  seededVector,
  TOKEN_SECRET,
  upload,
  waitForVersion,
} from "./helpers";

const TASK = "model-checkin";
const MODEL = { ...flatModel(6), init: { kind: "uniform" as const, scale: 0.5, seed: 11 } };
let device: Device;

beforeAll(async () => {
  expect(
    (await createTask(TASK, { model: MODEL, round: { targetUpdates: 1, deadlineSeconds: 60 } })).status,
  ).toBe(201);
  device = await registerOnly(TASK, "afr");
});

const auth = () => ({ Authorization: `Bearer ${device.token}` });

describe("check-in", () => {
  it("assigns the current version once, then tells the device to wait with Retry-After", async () => {
    const first = await api(`/v1/tasks/${TASK}/checkin`, { method: "POST", headers: auth() });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      action: "train",
      round: 1,
      upload: { baseVersion: 0, compression: { density: 1, bits: 32 } },
    });

    const second = await api(`/v1/tasks/${TASK}/checkin`, { method: "POST", headers: auth() });
    expect(second.status).toBe(200);
    const body = (await second.json()) as { action: string; retryAfterSeconds: number };
    expect(body.action).toBe("wait");
    expect(body.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(body.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(second.headers.get("Retry-After")).toBe(String(body.retryAfterSeconds));
  });
});

describe("the model", () => {
  it("serves version 0 as the config's seeded initial weights, with its SHA-256 as ETag", async () => {
    const manifest = (await (await api(`/v1/tasks/${TASK}/model`, { headers: auth() })).json()) as {
      version: number;
      sha256: string;
      weightsUrl: string;
    };
    expect(manifest.version).toBe(0);
    const res = await api(manifest.weightsUrl, { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(`"${manifest.sha256}"`);
    expect(res.headers.get("Cache-Control")).toContain("immutable");
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    expect(Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")).toBe(manifest.sha256);
    expect(new Float32Array(bytes.buffer)).toEqual(initialWeights(parseTaskConfig({ model: MODEL }).model));
  });

  it("answers a matching If-None-Match with 304 and no body, from the cache or not", async () => {
    const first = await api(`/v1/tasks/${TASK}/model/0/weights`, { headers: auth() });
    const etag = first.headers.get("ETag") ?? "";
    await first.arrayBuffer();
    for (let i = 0; i < 2; i++) {
      const res = await api(`/v1/tasks/${TASK}/model/0/weights`, {
        headers: { ...auth(), "If-None-Match": etag },
      });
      expect(res.status).toBe(304);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
  });

  it("requires a token for the task to read weights", async () => {
    expect((await api(`/v1/tasks/${TASK}/model/0/weights`)).status).toBe(401);
  });

  it("keeps every published version readable after the next one", async () => {
    const before = await (await api(`/v1/tasks/${TASK}/model/0/weights`, { headers: auth() })).arrayBuffer();
    expect((await upload(TASK, device, seededVector(5, 6), { sampleWeight: 4 })).status).toBe(202);
    await waitForVersion(TASK, 1);
    const again = await api(`/v1/tasks/${TASK}/model/0/weights`, { headers: auth() });
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(new Uint8Array(before));
    const v1 = await api(`/v1/tasks/${TASK}/model/1/weights`, { headers: auth() });
    expect(v1.status).toBe(200);
    expect(new Uint8Array(await v1.arrayBuffer())).not.toEqual(new Uint8Array(before));
  });
});

describe("token renewal", () => {
  it("renews a token with less than a week left at check-in, keeping its claims", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = decode(device.token).payload;
    const ageing = await sign({ ...claims, iat: now - 29 * 86400, exp: now + 86400 }, TOKEN_SECRET, "HS256");
    const res = await api(`/v1/tasks/${TASK}/checkin`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ageing}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token?: string; tokenExpiresAt?: string };
    expect(body.token).toBeDefined();
    const renewed = decode(body.token!).payload;
    expect(renewed).toMatchObject({ sub: claims.sub, task: TASK, region: "afr", cluster: claims.cluster });
    expect(renewed.exp).toBeGreaterThan(now + 29 * 86400);
  });

  it("does not hand out a new token while the current one is fresh", async () => {
    const res = await api(`/v1/tasks/${TASK}/checkin`, { method: "POST", headers: auth() });
    expect(((await res.json()) as { token?: string }).token).toBeUndefined();
  });
});

describe("the version a device is assigned", () => {
  it("is the one its check-in's manifest URL names, even once the next version is out (no update trained on a version it was not given)", async () => {
    const task = "pinned-manifest";
    // A cluster each: the slow device's silence does not hold the fast one's version back.
    const config = {
      model: MODEL,
      round: { targetUpdates: 1, deadlineSeconds: 60 },
      clusters: { targetSize: 1 },
    };
    expect((await createTask(task, config)).status).toBe(201);
    const [slow, fast] = [await registerOnly(task, "afr"), await registerOnly(task, "afr")];
    const checkin = async (d: Device) =>
      (await (
        await api(`/v1/tasks/${task}/checkin`, {
          method: "POST",
          headers: { Authorization: `Bearer ${d.token}` },
        })
      ).json()) as { action: string; model: { version: number; manifestUrl: string } };
    const assigned = await checkin(slow);
    expect(assigned).toMatchObject({
      action: "train",
      model: { version: 0, manifestUrl: `/v1/tasks/${task}/model/0` },
    });
    // Another device's update makes version 1 before the slow device downloads its model.
    expect((await checkin(fast)).action).toBe("train");
    expect((await upload(task, fast, seededVector(1, 6), { sampleWeight: 1 })).status).toBe(202);
    await waitForVersion(task, 1);
    const auth = { Authorization: `Bearer ${slow.token}` };
    const manifest = (await (await api(assigned.model.manifestUrl, { headers: auth })).json()) as {
      version: number;
      sha256: string;
      weightsUrl: string;
    };
    expect(manifest.version).toBe(0);
    const weights = await (await api(manifest.weightsUrl, { headers: auth })).arrayBuffer();
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", weights)))
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(digest).toBe(manifest.sha256);
    // Its update, on version 0, is the one it may send.
    expect((await upload(task, slow, seededVector(2, 6), { sampleWeight: 1, baseVersion: 0 })).status).toBe(
      202,
    );
    expect((await api(`/v1/tasks/${task}/model/9`, { headers: auth })).status).toBe(404);
    expect((await api(`/v1/tasks/${task}/model/v1`, { headers: auth })).status).toBe(400);
  });
});

describe("the compression schedule at check-in", () => {
  it("assigns the density for the version trained on: DGC's warm-up decays it from near dense to the floor", async () => {
    const task = "dgc-warmup";
    const schedule = { kind: "exponential-decay", warmupVersions: 4 } as const;
    const created = await createTask(task, {
      model: MODEL,
      round: { targetUpdates: 1, deadlineSeconds: 60 },
      compression: { density: 0.01, bits: 8, schedule },
    });
    expect(created.status).toBe(201);
    const d = await registerOnly(task, "afr");
    const checkin = async () =>
      (await (
        await api(`/v1/tasks/${task}/checkin`, {
          method: "POST",
          headers: { Authorization: `Bearer ${d.token}` },
        })
      ).json()) as {
        action: string;
        upload: { baseVersion: number; compression: { density: number; bits: number } };
      };
    const first = await checkin();
    expect(first.upload.baseVersion).toBe(0);
    expect(first.upload.compression.density).toBeCloseTo(10 ** -0.5, 12);
    expect(first.upload.compression.bits).toBe(8);
    expect((await upload(task, d, seededVector(1, 6), { sampleWeight: 1 })).status).toBe(202);
    await waitForVersion(task, 1);
    // The edge's view of the task is a second old at most: ask until it assigns version 1.
    let second = await checkin();
    while (second.action !== "train" || second.upload.baseVersion !== 1) {
      await new Promise((r) => setTimeout(r, 50));
      second = await checkin();
    }
    expect(second.upload.compression.density).toBeCloseTo(0.1, 12);
  });
});

describe("quality-aware compression at check-in", () => {
  it("doubles every device's density when the federated evaluation loss stalls, as of the next published version", async () => {
    const task = "quality-shift";
    const created = await createTask(task, {
      model: MODEL,
      round: { targetUpdates: 1, deadlineSeconds: 60 },
      compression: { density: 0.01, bits: 8, quality: { kind: "loss-window", window: 2, minReports: 1 } },
    });
    expect(created.status).toBe(201);
    const d = await registerOnly(task, "afr");
    const post = (path: string, body?: unknown) =>
      api(`/v1/tasks/${task}/${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${d.token}`, "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    /** Checks in until the device is assigned `version`; returns the assigned density. */
    const densityFor = async (version: number) => {
      for (;;) {
        const a = (await (await post("checkin")).json()) as {
          action: string;
          upload?: { baseVersion: number; compression: { density: number } };
        };
        if (a.action === "train" && a.upload!.baseVersion === version) return a.upload!.compression.density;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    expect(await densityFor(0)).toBeCloseTo(0.01, 12);
    // Version 0 is evaluated at loss 0.5; the update makes version 1, which scores the same.
    expect((await post("evaluations", { version: 0, loss: 0.5, accuracy: 0.8, examples: 10 })).status).toBe(
      202,
    );
    expect((await upload(task, d, seededVector(1, 6), { sampleWeight: 1 })).status).toBe(202);
    await waitForVersion(task, 1);
    expect(await densityFor(1)).toBeCloseTo(0.01, 12); // one evaluated version: fewer than the window
    expect((await post("evaluations", { version: 1, loss: 0.5, accuracy: 0.8, examples: 10 })).status).toBe(
      202,
    );
    expect((await upload(task, d, seededVector(2, 6), { sampleWeight: 1, baseVersion: 1 })).status).toBe(202);
    const view = await waitForVersion(task, 2);
    // Losses [0.5, 0.5] over the window of 2: a stall, so the density doubles.
    expect(view.compressionShift).toBe(2);
    expect(await densityFor(2)).toBeCloseTo(0.02, 12);
  });
});
