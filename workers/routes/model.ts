/**
 * The model: a manifest (small, fresh) and per-version weights (immutable, served
 * through the Cache API after the edge has checked the caller's token).
 */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { graphKey, manifestKey, type TaskView, weightsKey } from "../../durable-objects/task-types";
import { FedgeError } from "../../shared/errors";
import type { Manifest } from "../../shared/protocol/api";
import type { AppEnv } from "../app-env";
import { isAdmin, requireDevice } from "../auth";
import { loadTask } from "../tasks";

export const model = new Hono<AppEnv>();

/** Devices of the task, or the admin, may read its model. */
const requireReader = createMiddleware<AppEnv>(async (c, next) =>
  (await isAdmin(c)) ? next() : requireDevice(c, next),
);

model.get("/:task/model", requireReader, async (c) => {
  const taskId = c.req.param("task");
  const view = await loadTask(c.env, taskId);
  c.header("Cache-Control", "private, max-age=1");
  return c.json(manifestOf(taskId, view, view.model) satisfies Manifest);
});

/**
 * The manifest of one version: what a device assigned version N trains from, even after
 * N + 1 is out (the check-in's `model.manifestUrl` names it). Immutable, like the weights.
 */
model.get("/:task/model/:version", requireReader, async (c) => {
  const taskId = c.req.param("task");
  const version = parseVersion(c.req.param("version"));
  let view = await loadTask(c.env, taskId);
  if (version > view.model.version) view = await loadTask(c.env, taskId, { fresh: true });
  if (version > view.model.version)
    throw new FedgeError("version_not_found", `task "${taskId}" has no version ${version} yet`);
  const stored =
    version === view.model.version ? view.model : await c.env.MODELS.get(manifestKey(taskId, version));
  if (!stored)
    throw new FedgeError("version_not_found", `the manifest of version ${version} is not available`);
  const m = "json" in stored ? await stored.json<typeof view.model>() : stored;
  c.header("Cache-Control", "private, max-age=31536000, immutable");
  return c.json(manifestOf(taskId, view, m) satisfies Manifest);
});

function manifestOf(taskId: string, view: TaskView, m: TaskView["model"]): Manifest {
  return {
    task: taskId,
    version: m.version,
    parameters: m.parameters,
    layout: view.task.config.model.layout,
    layoutHash: m.layoutHash,
    byteLength: m.byteLength,
    sha256: m.sha256,
    createdAt: m.createdAt,
    weightsUrl: `/v1/tasks/${taskId}/model/${m.version}/weights`,
    graph: view.graph
      ? {
          url: graphUrl(taskId, view.graph.sha256),
          sha256: view.graph.sha256,
          byteLength: view.graph.byteLength,
        }
      : null,
  };
}

function parseVersion(text: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new FedgeError("bad_request", `version "${text}" is not a non-negative integer`);
  return Number(text);
}

/** Graphs are content-addressed: a URL names one graph forever. */
export const graphUrl = (task: string, sha256: string) => `/v1/tasks/${task}/model/graph/${sha256}`;
export const MAX_GRAPH_BYTES = 32 * 1024 * 1024;

model.get("/:task/model/graph/:sha256", requireReader, async (c) => {
  const taskId = c.req.param("task");
  const sha256 = c.req.param("sha256");
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new FedgeError("bad_request", "a graph is named by its 64-hex-digit SHA-256");
  const etag = `"${sha256}"`;
  const headers = { ETag: etag, "Cache-Control": "private, max-age=31536000, immutable" };
  if (matchesIfNoneMatch(c.req.header("If-None-Match"), etag))
    return new Response(null, { status: 304, headers });
  const object = await c.env.MODELS.get(graphKey(taskId, sha256));
  if (!object) throw new FedgeError("not_found", `task "${taskId}" has no graph ${sha256}`);
  return new Response(object.body, {
    headers: {
      ...headers,
      "Content-Type": "application/octet-stream",
      "Content-Length": String(object.size),
    },
  });
});

model.get("/:task/model/:version/weights", requireReader, async (c) => {
  const taskId = c.req.param("task");
  const version = parseVersion(c.req.param("version"));

  const cache = caches.default;
  const url = new URL(c.req.url);
  const cacheKey = new Request(`${url.origin}${url.pathname}`, { method: "GET" });
  let response = await cache.match(cacheKey);
  if (!response) {
    const view = await loadTask(c.env, taskId, { fresh: true });
    if (version > view.model.version)
      throw new FedgeError("version_not_found", `task "${taskId}" has no version ${version} yet`);
    const object = await c.env.MODELS.get(weightsKey(taskId, version));
    if (!object)
      throw new FedgeError("version_not_found", `weights for version ${version} are not available`);
    const manifest = await c.env.MODELS.get(manifestKey(taskId, version));
    const sha256 = manifest ? ((await manifest.json()) as { sha256: string }).sha256 : null;
    const headers = new Headers({
      "Content-Type": "application/octet-stream",
      "Content-Length": String(object.size),
      "Cache-Control": "public, max-age=31536000, immutable",
      ETag: `"${sha256 ?? object.etag}"`,
      "X-Fedge-Version": String(version),
    });
    response = new Response(object.body, { headers });
    c.executionCtx.waitUntil(cache.put(cacheKey, response.clone()));
  }
  const etag = response.headers.get("ETag");
  const headers = new Headers(response.headers);
  // The shared cache is behind the token check; anything downstream must not share it.
  headers.set("Cache-Control", "private, max-age=31536000, immutable");
  if (etag && matchesIfNoneMatch(c.req.header("If-None-Match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(response.body, { status: 200, headers });
});

/** RFC 9110 §13.1.2: `*`, or any listed entity tag, compared weakly (a `W/` prefix is ignored). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || strip(tag) === strip(etag));
}
