/** The edge Worker: stateless validation and routing in front of the Durable Object tiers. */
import { Hono } from "hono";
import type { ServiceIndex } from "../shared/protocol/api";
import { OPERATIONS, openApiDocument } from "../shared/protocol/openapi";
import type { AppEnv } from "./app-env";
import { cancelUnreadBody, limitBody, MAX_JSON_BYTES, MAX_TASK_CONFIG_BYTES } from "./body";
import { corsMiddleware } from "./cors";
import { errorResponse, notFound } from "./error-handler";
import { admin } from "./routes/admin";
import { devices } from "./routes/devices";
import { MAX_GRAPH_BYTES, model } from "./routes/model";
import { monitoring } from "./routes/monitoring";
import { secure } from "./routes/secure";
import { updates } from "./routes/updates";
import { loadTask, maxUploadBytes, requireKnownTask, requireTaskId } from "./tasks";

export const app = new Hono<AppEnv>();

// First: the time the cluster measures this request's queueing delay from (its congestion signal).
app.use(async (c, next) => {
  c.set("receivedAt", Date.now());
  await next();
});
// Before any route or check: preflights are answered here, and every later response, an
// error included, keeps the Access-Control-* headers this sets (workers/cors.ts).
app.use(corsMiddleware);
app.use(cancelUnreadBody);
app.use("/v1/admin/tasks/:task/*", requireTaskId);
app.use("/v1/tasks/:task/*", requireTaskId, requireKnownTask);

// Body limits (docs/protocol.md#limits), enforced before anything reads a body. A request
// gets the first limit that matches it; every route not listed takes MAX_JSON_BYTES.
app.put("/v1/admin/tasks/:task", limitBody(MAX_TASK_CONFIG_BYTES, "a task config"));
app.put("/v1/admin/tasks/:task/graph", limitBody(MAX_GRAPH_BYTES, "a graph"));
app.post(
  "/v1/tasks/:task/updates",
  limitBody(
    async (c) => maxUploadBytes(await loadTask(c.env, c.req.param("task") ?? "")),
    "an update for this task",
  ),
);
// A secure round's masked input is one uint32 per parameter; its share lists, up to 1,000 members'.
app.post(
  "/v1/tasks/:task/secure/:version/masked",
  limitBody(
    async (c) => 4 * (await loadTask(c.env, c.req.param("task") ?? "")).task.config.model.parameters,
    "a masked input for this task",
  ),
);
app.post("/v1/tasks/:task/secure/:version/shares", limitBody(4 * 1024 * 1024, "secure-round shares"));
app.post("/v1/tasks/:task/secure/:version/unmask", limitBody(1024 * 1024, "secure-round shares"));
app.use(limitBody(MAX_JSON_BYTES));

app.get("/", (c) =>
  c.json({
    service: "fedge",
    docs: "docs/protocol.md",
    openapi: "/v1/openapi.json",
    endpoints: OPERATIONS.filter((op) => op.path !== "/").map(
      (op) => `${op.method.toUpperCase().padEnd(4)} ${op.path}`,
    ),
  } satisfies ServiceIndex),
);
let openApi: Record<string, unknown> | undefined;
app.get("/v1/openapi.json", (c) => {
  openApi ??= openApiDocument();
  return c.json(openApi);
});
app.route("/v1", monitoring);
app.route("/v1/admin", admin);
app.route("/v1/tasks", devices);
app.route("/v1/tasks", model);
app.route("/v1/tasks", updates);
app.route("/v1/tasks", secure);
app.notFound(notFound);
app.onError(errorResponse);
