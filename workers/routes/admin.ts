/** PUT/GET /v1/admin/tasks/:task — create, reconfigure and inspect tasks. */
import { Hono } from "hono";
import { mergeShapes } from "../../durable-objects/directory";
import { directoryTask, innerLevels, treeNodesOver } from "../../durable-objects/identities";
import {
  clusterStub,
  coordinatorStub,
  directoryStubs,
  treeNodeName,
  treeNodeStub,
} from "../../durable-objects/stubs";
import { graphKey } from "../../durable-objects/task-types";
import { FedgeError } from "../../shared/errors";
import {
  type AdminTaskViewBody,
  type ClusterView,
  type GraphStored,
  type ModelManifest,
  type ReclusterResult,
  type RegionTree,
  RollbackRequestSchema,
  type TaskViewBody,
} from "../../shared/protocol/api";
import { toHex } from "../../shared/protocol/frame";
import { layoutHash, parseTaskConfig } from "../../shared/protocol/task-config";
import { isRegion, REGIONS } from "../../shared/regions";
import { unwrap } from "../../shared/result";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth";
import { OCTET_STREAM, readJson, requireOctetStream } from "../body";
import { loadTask, rememberTask } from "../tasks";
import { parseBody } from "../validate";
import { graphUrl } from "./model";

/** The task id and the body limit are checked before these routes (workers/app.ts). */
export const admin = new Hono<AppEnv>();

admin.use("*", requireAdmin);

admin.put("/tasks/:task", async (c) => {
  const id = c.req.param("task");
  const config = parseTaskConfig(await readJson(c));
  const hash = await layoutHash(config.model.layout);
  const stub = coordinatorStub(c.env, id, config.placement.coordinatorRegion);
  const { created, view } = unwrap(await stub.createTask(id, config, hash));
  rememberTask(view);
  return c.json(view satisfies TaskViewBody, created ? 201 : 200);
});

/** The task's ONNX graph (initializers as external data in the weights blob), stored content-addressed. */
admin.put("/tasks/:task/graph", async (c) => {
  const id = c.req.param("task");
  await loadTask(c.env, id, { fresh: true });
  requireOctetStream(c, "the graph");
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength === 0) throw new FedgeError("bad_request", "the graph is empty");
  const sha256 = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  const key = graphKey(id, sha256);
  await c.env.MODELS.put(key, bytes, { sha256, httpMetadata: { contentType: OCTET_STREAM } });
  const view = unwrap(
    await coordinatorStub(c.env, id).setGraph({ sha256, byteLength: bytes.byteLength, key }),
  );
  rememberTask(view);
  return c.json({ sha256, byteLength: bytes.byteLength, url: graphUrl(id, sha256) } satisfies GraphStored);
});

admin.get("/tasks/:task", async (c) => {
  const id = c.req.param("task");
  const view = unwrap(await coordinatorStub(c.env, id).adminView());
  // The newest view there is: this isolate uses it from now on (what the admin just saw).
  const { totals: _t, versions: _v, deadLetters: _d, evaluations: _e, ...taskView } = view;
  rememberTask(taskView);
  return c.json(view satisfies AdminTaskViewBody);
});

/** Publishes an earlier version's weights as a new version. */
admin.post("/tasks/:task/rollback", async (c) => {
  const id = c.req.param("task");
  await loadTask(c.env, id, { fresh: true });
  const { version } = parseBody(RollbackRequestSchema, await readJson(c));
  const manifest = unwrap(await coordinatorStub(c.env, id).rollback(version));
  await loadTask(c.env, id, { fresh: true });
  return c.json(manifest satisfies ModelManifest, 201);
});

/**
 * Re-clusters a region's devices by latency now, as its directory's alarm does some time
 * after registrations (docs/architecture.md#clustering). Moved devices learn it at their
 * next check-in.
 */
admin.post("/tasks/:task/regions/:region/recluster", async (c) => {
  const id = c.req.param("task");
  const { task } = await loadTask(c.env, id, { fresh: true });
  const region = c.req.param("region");
  if (!isRegion(region)) throw new FedgeError("bad_request", `region must be one of ${REGIONS.join(", ")}`);
  // Each directory shard re-clusters its own devices.
  const directories = directoryStubs(c.env, id, region, task.config.clusters.directoryShards);
  let moved = 0;
  for (const [shard, directory] of directories.entries())
    moved += (await directory.recluster(directoryTask(id, task.config, region, shard))).moved;
  const shape = mergeShapes(await Promise.all(directories.map((d) => d.shape())));
  return c.json({ region, movedNow: moved, shape } satisfies ReclusterResult);
});

/** A region's aggregation tree: every node, with the children it heard from and the partials it merged. */
admin.get("/tasks/:task/regions/:region/tree", async (c) => {
  const id = c.req.param("task");
  const { task } = await loadTask(c.env, id, { fresh: true });
  const region = c.req.param("region");
  if (!isRegion(region)) throw new FedgeError("bad_request", `region must be one of ${REGIONS.join(", ")}`);
  // The tree spans every shard's cluster indices.
  const trees = await Promise.all(
    directoryStubs(c.env, id, region, task.config.clusters.directoryShards).map((d) => d.treeNodes()),
  );
  const span = Math.max(...trees.map((t) => t.span));
  const fanIn = task.config.clusters.fanIn;
  const [levels, nodes] = [innerLevels(span, fanIn), treeNodesOver(span, fanIn)];
  const [received, coordinator] = await Promise.all([
    Promise.all(nodes.map((node) => treeNodeStub(c.env, { task: id, region, node }).received())),
    coordinatorStub(c.env, id).received(),
  ]);
  return c.json({
    region,
    fanIn,
    innerLevels: levels,
    clusters: span,
    nodes: nodes.map((node, i) => ({
      name: treeNodeName(id, region, node),
      level: node?.level ?? levels + 1,
      index: node?.index ?? 0,
      ...(received[i] as { children: number; partials: number }),
    })),
    coordinator,
  } satisfies RegionTree);
});

/** One cluster's state: its batch, dead letters, members (reputation, quarantine, detections) and compression controller. */
admin.get("/tasks/:task/clusters/:region/:index", async (c) => {
  const id = c.req.param("task");
  await loadTask(c.env, id, { fresh: true });
  const region = c.req.param("region");
  const index = Number(c.req.param("index"));
  if (!isRegion(region)) throw new FedgeError("bad_request", `region must be one of ${REGIONS.join(", ")}`);
  if (!/^\d{1,9}$/.test(c.req.param("index")))
    throw new FedgeError("bad_request", "cluster index must be 0–999999999");
  const cluster = clusterStub(c.env, id, region, index);
  const [status, members, compression] = await Promise.all([
    cluster.status(),
    cluster.members(),
    cluster.compressionController(),
  ]);
  return c.json({ region, index, ...status, members, compression } satisfies ClusterView);
});
