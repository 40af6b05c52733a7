/**
 * GET /v1/tasks/:task/status (JSON) and GET /v1/admin/metrics (Prometheus text): what the
 * coordinators hold of the metrics every tier carried up with its flushes.
 */
import { Hono } from "hono";
import { coordinatorStub } from "../../durable-objects/stubs";
import { type Gauge, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../../shared/metrics/prometheus";
import type { TaskStatusBody } from "../../shared/protocol/api";
import { unwrap } from "../../shared/result";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth";
import { taskStatus } from "../status";

export const monitoring = new Hono<AppEnv>();

monitoring.get("/tasks/:task/status", requireAdmin, async (c) => {
  const snapshot = unwrap(await coordinatorStub(c.env, c.req.param("task")).monitoring());
  c.header("Cache-Control", "no-store");
  return c.json(taskStatus(snapshot) satisfies TaskStatusBody);
});

/** Every task's id: the first path segment under `models/` in R2, where each task's versions live. */
async function taskIds(bucket: R2Bucket): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: "models/", delimiter: "/", ...(cursor ? { cursor } : {}) });
    for (const prefix of page.delimitedPrefixes) ids.push(prefix.slice("models/".length, -1));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return ids;
}

monitoring.get("/admin/metrics", requireAdmin, async (c) => {
  const ids = await taskIds(c.env.MODELS);
  const snapshots = await Promise.all(
    ids.map(async (id) => unwrap(await coordinatorStub(c.env, id).monitoring())),
  );
  const gauge = (name: string, help: string, value: (s: (typeof snapshots)[number]) => number): Gauge => ({
    name,
    help,
    values: snapshots.map((s) => ({ labels: { task: s.view.task.id }, value: value(s) })),
  });
  const text = renderPrometheus(
    snapshots.map((s) => ({ labels: { task: s.view.task.id }, metrics: s.metrics })),
    [
      gauge("fedge_model_version", "The task's current model version.", (s) => s.view.model.version),
      gauge(
        "fedge_round_updates",
        "Device updates in the coordinator's open round.",
        (s) => s.view.round.updates,
      ),
      gauge("fedge_devices_registered", "Devices registered, over every region.", (s) =>
        Object.values(s.regions).reduce((n, r) => n + (r?.devices ?? 0), 0),
      ),
      gauge("fedge_clusters", "Cluster aggregators, over every region.", (s) =>
        Object.values(s.regions).reduce((n, r) => n + (r?.clusters ?? 0), 0),
      ),
      {
        name: "fedge_evaluation_accuracy",
        help: "Example-weighted federated evaluation accuracy of the newest evaluated version.",
        values: snapshots.flatMap((s) => {
          const last = s.evaluations[s.evaluations.length - 1];
          return last
            ? [{ labels: { task: s.view.task.id, version: last.version }, value: last.accuracy }]
            : [];
        }),
      },
    ],
  );
  return c.body(text, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Cache-Control": "no-store" });
});
