import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { clusterStub } from "../durable-objects/stubs";
import { FRAME_HEADER_BYTES, randomUpdateId } from "../shared/protocol/frame";
import {
  adminHeaders,
  api,
  createTask,
  type Device,
  denseFrame,
  flatModel,
  register,
  TOKEN_SECRET,
  taskStatus,
  uploadFrame,
} from "./helpers";

const DIM = 16;
const TASK = "bad-input";
let device: Device;
let other: Device;

beforeAll(async () => {
  expect((await createTask(TASK, { model: flatModel(DIM), round: { targetUpdates: 50 } })).status).toBe(201);
  expect((await createTask("other-task", { model: flatModel(DIM) })).status).toBe(201);
  device = await register(TASK, "weur");
  // A second member that never uploads keeps anything accepted in the cluster's open batch, where it shows.
  await register(TASK, "weur");
  other = await register("other-task", "weur");
});

async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
}

/** Nothing reached the cluster and the coordinator is where it was. */
async function expectNoStateChange() {
  expect((await clusterStub(env, TASK, "weur", 0).status()).openUpdates).toBe(0);
  const view = await taskStatus(TASK);
  expect(view.model.version).toBe(0);
  expect(view.round.updates).toBe(0);
}

const good = () => denseFrame(device, new Float32Array(DIM).fill(0.5), { sampleWeight: 3 });

function mutate(frame: Uint8Array, edit: (view: DataView) => void): Uint8Array {
  const copy = frame.slice();
  edit(new DataView(copy.buffer));
  return copy;
}

describe("uploads that are refused change nothing", () => {
  it.each([
    ["wrong magic", () => mutate(good(), (v) => v.setUint32(0, 0x12345678, true)), /magic/],
    ["unknown format version", () => mutate(good(), (v) => v.setUint8(4, 9)), /format version 9/],
    ["unknown codec", () => mutate(good(), (v) => v.setUint8(5, 200)), /codec 200/],
    ["unknown flags", () => mutate(good(), (v) => v.setUint16(6, 0x8000, true)), /flags/], // bit 0 is deflate
    ["truncated header", () => good().slice(0, 20), /shorter than the 48-byte header/],
    ["truncated payload", () => good().slice(0, FRAME_HEADER_BYTES + 10), /declares 64 payload bytes but 10/],
    [
      "declared length ≠ bytes present",
      () => mutate(good(), (v) => v.setUint32(44, 60, true)),
      /declares 60/,
    ],
    ["zero sample weight", () => mutate(good(), (v) => v.setFloat32(20, 0, true)), /sample weight/],
    [
      "all-zero update id",
      () => mutate(good(), (v) => new Uint8Array(v.buffer).fill(0, 24, 40)),
      /update id/,
    ],
  ])("rejects a frame with %s as 400 bad_frame", async (_name, frame, message) => {
    await expectError(await uploadFrame(TASK, device.token, frame()), 400, "bad_frame", message);
    await expectNoStateChange();
  });

  it("rejects a frame whose dim is not the task's as 422 dimension_mismatch", async () => {
    const frame = denseFrame(device, new Float32Array(DIM - 1), { sampleWeight: 1 });
    await expectError(await uploadFrame(TASK, device.token, frame), 422, "dimension_mismatch", /dim 15/);
    await expectNoStateChange();
  });

  it("rejects NaN and ±Infinity as 422 non_finite_value", async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = new Float32Array(DIM).fill(0.1);
      values[7] = bad;
      const frame = denseFrame(device, values, { sampleWeight: 1 });
      await expectError(await uploadFrame(TASK, device.token, frame), 422, "non_finite_value", /index 7/);
    }
    await expectNoStateChange();
  });

  it("rejects a frame built for another layout as 422 layout_mismatch", async () => {
    const frame = denseFrame({ ...device, layoutHash: "00000000" }, new Float32Array(DIM), {
      sampleWeight: 1,
    });
    await expectError(await uploadFrame(TASK, device.token, frame), 422, "layout_mismatch");
    await expectNoStateChange();
  });

  it("rejects a base version the task has not published as 422 unknown_base_version", async () => {
    const frame = denseFrame(device, new Float32Array(DIM), { sampleWeight: 1, baseVersion: 5 });
    await expectError(await uploadFrame(TASK, device.token, frame), 422, "unknown_base_version");
    await expectNoStateChange();
  });

  it("rejects a body larger than the task's largest frame as 413 before reading it", async () => {
    const huge = new Uint8Array(FRAME_HEADER_BYTES + 4 * DIM + 1);
    await expectError(await uploadFrame(TASK, device.token, huge), 413, "payload_too_large");
    await expectNoStateChange();
  });

  it("rejects a body that is not application/octet-stream as 415", async () => {
    const res = await api(`/v1/tasks/${TASK}/updates`, {
      method: "POST",
      headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "application/json" },
      body: good(),
    });
    await expectError(res, 415, "unsupported_media_type");
    await expectNoStateChange();
  });
});

describe("tokens", () => {
  it("answers a missing token with 401", async () => {
    const res = await api(`/v1/tasks/${TASK}/updates`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: good(),
    });
    await expectError(res, 401, "unauthorized", /missing/);
    await expectNoStateChange();
  });

  it("answers a token signed with another key with 401", async () => {
    const forged = await sign(
      {
        sub: device.deviceId,
        task: TASK,
        region: "weur",
        cluster: 0,
        exp: Math.floor(Date.now() / 1000) + 60,
      },
      "not-the-secret",
      "HS256",
    );
    await expectError(await uploadFrame(TASK, forged, good()), 401, "unauthorized", /invalid/);
    await expectNoStateChange();
  });

  it("answers an expired token with 401", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign(
      { sub: device.deviceId, task: TASK, region: "weur", cluster: 0, iat: now - 120, exp: now - 60 },
      TOKEN_SECRET,
      "HS256",
    );
    await expectError(await uploadFrame(TASK, expired, good()), 401, "unauthorized", /expired/);
    await expectNoStateChange();
  });

  it("answers a token for another task with 403", async () => {
    await expectError(await uploadFrame(TASK, other.token, good()), 403, "forbidden", /other-task/);
    await expectNoStateChange();
  });

  it("answers a check-in on behalf of another device with 403", async () => {
    const res = await api(`/v1/tasks/${TASK}/checkin`, {
      method: "POST",
      headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ deviceId: "someone-else" }),
    });
    await expectError(res, 403, "forbidden");
  });

  it("answers a wrong admin token with 401 and creates nothing", async () => {
    const res = await api("/v1/admin/tasks/sneaky", {
      method: "PUT",
      headers: { Authorization: "Bearer guess", "Content-Type": "application/json" },
      body: JSON.stringify({ model: flatModel(4) }),
    });
    await expectError(res, 401, "unauthorized");
    await expectError(
      await api("/v1/admin/tasks/sneaky", { headers: adminHeaders() }),
      404,
      "task_not_found",
    );
  });
});

describe("task configuration", () => {
  it("names every bad field path in a 400 invalid_config, and creates nothing", async () => {
    const res = await createTask("broken", {
      model: {
        parameters: 10,
        layout: [
          { name: "a", shape: [4], offset: 0 },
          { name: "a", shape: [4], offset: 2 },
        ],
      },
      round: { targetUpdates: 0, deadlineSeconds: 60 },
      clusters: { targetSize: -1 },
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_config");
    expect(error.message).toContain("model.layout[1].name");
    expect(error.message).toContain("model.layout[1].offset");
    expect(error.message).toContain("model.parameters");
    expect(error.message).toContain("round.targetUpdates");
    expect(error.message).toContain("clusters.targetSize");
    await expectError(
      await api("/v1/admin/tasks/broken", { headers: adminHeaders() }),
      404,
      "task_not_found",
    );
  });

  it("answers malformed JSON with 400 invalid_json", async () => {
    const res = await api(`/v1/admin/tasks/${TASK}`, {
      method: "PUT",
      headers: adminHeaders(),
      body: "{ not json",
    });
    await expectError(res, 400, "invalid_json");
  });

  it("refuses to change an existing task's model with 409 and keeps the old one", async () => {
    await expectError(await createTask(TASK, { model: flatModel(DIM + 2) }), 409, "task_conflict");
    expect((await taskStatus(TASK)).task.config.model.parameters).toBe(DIM);
  });

  it("rejects a task id that is not a lowercase slug with 400", async () => {
    await expectError(await createTask("Not_A_Slug", { model: flatModel(4) }), 400, "bad_request", /task id/);
  });
});

describe("unknown things", () => {
  it("answers registration for an unknown task with 404 task_not_found", async () => {
    await expectError(await api("/v1/tasks/nope/devices", { method: "POST" }), 404, "task_not_found");
  });

  it("answers an unknown route with 404 not_found", async () => {
    await expectError(await api("/v2/anything"), 404, "not_found");
  });

  it("answers a version that does not exist yet with 404 version_not_found", async () => {
    const res = await api(`/v1/tasks/${TASK}/model/3/weights`, {
      headers: { Authorization: `Bearer ${device.token}` },
    });
    await expectError(res, 404, "version_not_found");
  });

  it("answers an out-of-range region override with 400", async () => {
    const res = await api(`/v1/tasks/${TASK}/devices`, {
      method: "POST",
      headers: { "X-Fedge-Region": "mars" },
    });
    await expectError(res, 400, "bad_request", /X-Fedge-Region/);
  });
});

describe("a valid upload after all of the above", () => {
  it("is accepted with 202 and counted once", async () => {
    const updateId = randomUpdateId();
    const res = await uploadFrame(
      TASK,
      device.token,
      denseFrame(device, new Float32Array(DIM), { sampleWeight: 2, updateId }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ updateId, status: "accepted" });
    expect((await clusterStub(env, TASK, "weur", 0).status()).openUpdates).toBe(1);
  });
});

describe("reconfiguring a task", () => {
  it("accepts the same layout listed in another order, and new round settings", async () => {
    const reordered = { ...flatModel(DIM), layout: [...flatModel(DIM).layout].reverse() };
    const res = await createTask(TASK, { model: reordered, round: { targetUpdates: 60 } });
    expect(res.status).toBe(200);
    expect((await taskStatus(TASK)).task.config.round.targetUpdates).toBe(60);
  });

  it("refuses to move the coordinator with 409", async () => {
    const res = await createTask(TASK, { model: flatModel(DIM), placement: { coordinatorRegion: "apac" } });
    await expectError(res, 409, "task_conflict", /placement\.coordinatorRegion/);
  });
});
