import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../sdk/adapters/memory-store";
import { FedgeClient } from "../sdk/core/client";
import { spamOnnxGraph } from "../sdk/spam/onnx";
import { adminHeaders, api, createTask, type Device, flatModel, register } from "./helpers";

const TASK = "with-graph";
const BASE_URL = "https://fedge.test";
let device: Device;

function putGraph(bytes: Uint8Array, contentType = "application/octet-stream"): Promise<Response> {
  return api(`/v1/admin/tasks/${TASK}/graph`, {
    method: "PUT",
    headers: { ...adminHeaders(), "Content-Type": contentType },
    body: bytes,
  });
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

beforeAll(async () => {
  expect((await createTask(TASK, { model: flatModel(8) })).status).toBe(201);
  device = await register(TASK, "weur");
});

describe("the model graph", () => {
  it("is absent from the manifest until the operator sets one", async () => {
    await createTask("no-graph", { model: flatModel(4) });
    const res = await api("/v1/tasks/no-graph/model", { headers: adminHeaders() });
    expect(((await res.json()) as { graph: unknown }).graph).toBeNull();
  });

  it("is stored content-addressed, listed in the manifest, and served immutable with its SHA-256 as ETag", async () => {
    const graph = Uint8Array.from(spamOnnxGraph({ kind: "logistic", buckets: 7 }));
    const put = await putGraph(graph);
    expect(put.status).toBe(200);
    const sha256 = await sha256Hex(graph);
    expect(await put.json()).toEqual({
      sha256,
      byteLength: graph.byteLength,
      url: `/v1/tasks/${TASK}/model/graph/${sha256}`,
    });

    const manifest = (await (await api(`/v1/admin/tasks/${TASK}`, { headers: adminHeaders() })).json()) as {
      graph: { sha256: string };
    };
    expect(manifest.graph.sha256).toBe(sha256);
    const auth = { Authorization: `Bearer ${device.token}` };
    const res = await api(`/v1/tasks/${TASK}/model/graph/${sha256}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(`"${sha256}"`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(graph);
    const again = await api(`/v1/tasks/${TASK}/model/graph/${sha256}`, {
      headers: { ...auth, "If-None-Match": `"${sha256}"` },
    });
    expect(again.status).toBe(304);
  });

  it("reaches devices through the SDK, verified and cached", async () => {
    const graph = Uint8Array.from(spamOnnxGraph({ kind: "mlp", buckets: 4, hidden: 2 }));
    expect((await putGraph(graph)).status).toBe(200);
    let requests = 0;
    const client = new FedgeClient({
      baseUrl: BASE_URL,
      task: TASK,
      store: new MemoryStore(),
      fetch: (input, init) => {
        if (new URL(input, BASE_URL).pathname.includes("/model/graph/")) requests += 1;
        return exports.default.fetch(new Request(new URL(input, BASE_URL), init));
      },
    });
    expect(await client.graph()).toEqual(graph);
    expect(await client.graph()).toEqual(graph);
    expect(requests).toBe(1);
  });

  it("refuses a graph that is empty, not octet-stream, or for an unknown task, and asks devices for a token", async () => {
    expect((await putGraph(new Uint8Array(0))).status).toBe(400);
    expect((await putGraph(Uint8Array.of(1), "text/plain")).status).toBe(415);
    const unknown = await api("/v1/admin/tasks/nope/graph", {
      method: "PUT",
      headers: { ...adminHeaders(), "Content-Type": "application/octet-stream" },
      body: Uint8Array.of(1),
    });
    expect(unknown.status).toBe(404);
    expect((await api(`/v1/tasks/${TASK}/model/graph/${"0".repeat(64)}`)).status).toBe(401);
    const missing = await api(`/v1/tasks/${TASK}/model/graph/${"0".repeat(64)}`, { headers: adminHeaders() });
    expect(missing.status).toBe(404);
    expect((await api(`/v1/tasks/${TASK}/model/graph/xyz`, { headers: adminHeaders() })).status).toBe(400);
  });
});
