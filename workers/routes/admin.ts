/** PUT/GET /v1/admin/tasks/:task — create, reconfigure and inspect tasks. */
import { Hono } from "hono";
import { coordinatorStub } from "../../durable-objects/stubs";
import { FedgeError } from "../../shared/errors";
import { layoutHash, parseTaskConfig, TASK_ID_PATTERN } from "../../shared/protocol/task-config";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth";
import { readJson } from "../body";
import { loadTask, rememberTask } from "../tasks";

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

admin.get("/tasks/:task", async (c) => {
  const id = c.req.param("task");
  const view = await loadTask(c.env, id, { fresh: true });
  const evaluations = await coordinatorStub(c.env, id).evaluations();
  return c.json({ ...view, evaluations });
});
