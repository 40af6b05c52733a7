/** PUT/GET /v1/admin/tasks/:task — create, reconfigure and inspect tasks. */
import { Hono } from "hono";
import { graphKey } from "../../durable-objects/coordinator";
import { coordinatorStub } from "../../durable-objects/stubs";
import { FedgeError } from "../../shared/errors";
import { toHex } from "../../shared/protocol/frame";
import { layoutHash, parseTaskConfig, TASK_ID_PATTERN } from "../../shared/protocol/task-config";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth";
import { OCTET_STREAM, readJson, requireOctetStream } from "../body";
import { loadTask, rememberTask } from "../tasks";
import { graphUrl, MAX_GRAPH_BYTES } from "./model";

export const admin = new Hono<AppEnv>();

admin.use("*", requireAdmin);

admin.put("/tasks/:task", async (c) => {
  const id = c.req.param("task");
  if (!TASK_ID_PATTERN.test(id)) {
    throw new FedgeError("bad_request", `task id "${id}" must match ${TASK_ID_PATTERN.source}`);
  }
  const config = parseTaskConfig(await readJson(c));
  const hash = await layoutHash(config.model.layout);
  const stub = coordinatorStub(c.env, id, config.placement.coordinatorRegion);
  const result = await stub.createTask(id, config, hash);
  if (!result.ok) throw new FedgeError("task_conflict", result.message);
  rememberTask(result.view);
  return c.json(result.view, result.created ? 201 : 200);
});

/** The task's ONNX graph (initializers as external data in the weights blob), stored content-addressed. */
admin.put("/tasks/:task/graph", async (c) => {
  const id = c.req.param("task");
  await loadTask(c.env, id, { fresh: true });
  requireOctetStream(c, "the graph");
  const length = Number(c.req.header("Content-Length") ?? Number.NaN);
  if (length > MAX_GRAPH_BYTES)
    throw new FedgeError("payload_too_large", `a graph is at most ${MAX_GRAPH_BYTES} bytes`);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength === 0) throw new FedgeError("bad_request", "the graph is empty");
  if (bytes.byteLength > MAX_GRAPH_BYTES)
    throw new FedgeError("payload_too_large", `a graph is at most ${MAX_GRAPH_BYTES} bytes`);
  const sha256 = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  const key = graphKey(id, sha256);
  await c.env.MODELS.put(key, bytes, { sha256, httpMetadata: { contentType: OCTET_STREAM } });
  const view = await coordinatorStub(c.env, id).setGraph({ sha256, byteLength: bytes.byteLength, key });
  rememberTask(view);
  return c.json({ sha256, byteLength: bytes.byteLength, url: graphUrl(id, sha256) });
});

admin.get("/tasks/:task", async (c) => {
  const id = c.req.param("task");
  const view = await loadTask(c.env, id, { fresh: true });
  const evaluations = await coordinatorStub(c.env, id).evaluations();
  return c.json({ ...view, evaluations });
});
