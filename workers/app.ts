/** The edge Worker: stateless validation and routing in front of the Durable Object tiers. */
import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import { errorResponse, notFound } from "./error-handler";
import { admin } from "./routes/admin";
import { devices } from "./routes/devices";
import { model } from "./routes/model";
import { updates } from "./routes/updates";

export const app = new Hono<AppEnv>();

app.get("/", (c) =>
  c.json({
    service: "fedge",
    docs: "docs/protocol.md",
    endpoints: [
      "PUT  /v1/admin/tasks/:task",
      "GET  /v1/admin/tasks/:task",
      "POST /v1/tasks/:task/devices",
      "POST /v1/tasks/:task/checkin",
      "GET  /v1/tasks/:task/model",
      "GET  /v1/tasks/:task/model/:version/weights",
      "POST /v1/tasks/:task/updates",
    ],
  }),
);
app.route("/v1/admin", admin);
app.route("/v1/tasks", devices);
app.route("/v1/tasks", model);
app.route("/v1/tasks", updates);
app.notFound(notFound);
app.onError(errorResponse);
