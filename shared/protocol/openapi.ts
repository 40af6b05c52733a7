/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the wire contract's zod schemas
 * (shared/protocol/api.ts) with zod's own JSON Schema output (OpenAPI 3.1 schemas are JSON
 * Schema 2020-12) and the table of operations below. Served at `GET /v1/openapi.json`;
 * docs/openapi.json is this document, checked to be current by test/openapi.test.ts.
 */
import { z } from "zod";
import * as api from "./api";

type Auth = "none" | "admin" | "device" | "reader";

interface Operation {
  method: "get" | "put" | "post";
  /** hono's path syntax (`:task`); converted to OpenAPI's `{task}`. */
  path: string;
  summary: string;
  auth: Auth;
  /** A JSON body schema, or a binary body's media type. */
  request?: { schema: z.ZodType; optional?: boolean } | { binary: string };
  responses: Record<number, { description: string; schema?: z.ZodType; binary?: string; text?: string }>;
}

const JSON_ERRORS = "An error (docs/protocol.md#errors)";

/** Every route the app serves. */
export const OPERATIONS: readonly Operation[] = [
  {
    method: "get",
    path: "/",
    summary: "The service's name and its endpoints",
    auth: "none",
    responses: { 200: { description: "The index", schema: api.ServiceIndexSchema } },
  },
  {
    method: "get",
    path: "/v1/openapi.json",
    summary: "This document",
    auth: "none",
    responses: { 200: { description: "The OpenAPI 3.1 document" } },
  },
  {
    method: "put",
    path: "/v1/admin/tasks/:task",
    summary: "Create or reconfigure a task",
    auth: "admin",
    request: { schema: api.TaskConfigRequestSchema },
    responses: {
      200: { description: "Reconfigured", schema: api.TaskViewSchema },
      201: { description: "Created", schema: api.TaskViewSchema },
    },
  },
  {
    method: "get",
    path: "/v1/admin/tasks/:task",
    summary: "The task, its latest versions, dead letters and evaluations",
    auth: "admin",
    responses: { 200: { description: "The admin view", schema: api.AdminTaskViewSchema } },
  },
  {
    method: "put",
    path: "/v1/admin/tasks/:task/graph",
    summary: "Set the task's ONNX graph",
    auth: "admin",
    request: { binary: "application/octet-stream" },
    responses: { 200: { description: "Stored", schema: api.GraphStoredSchema } },
  },
  {
    method: "post",
    path: "/v1/admin/tasks/:task/rollback",
    summary: "Publish an earlier version's weights as a new version",
    auth: "admin",
    request: { schema: api.RollbackRequestSchema },
    responses: { 201: { description: "The new version's manifest", schema: api.ModelManifestSchema } },
  },
  {
    method: "get",
    path: "/v1/admin/tasks/:task/clusters/:region/:index",
    summary: "One cluster's batch, dead letters and members",
    auth: "admin",
    responses: { 200: { description: "The cluster view", schema: api.ClusterViewSchema } },
  },
  {
    method: "post",
    path: "/v1/admin/tasks/:task/regions/:region/recluster",
    summary: "Re-cluster a region's devices by latency now",
    auth: "admin",
    responses: { 200: { description: "The region after re-clustering", schema: api.ReclusterResultSchema } },
  },
  {
    method: "get",
    path: "/v1/admin/tasks/:task/regions/:region/tree",
    summary: "A region's aggregation tree, node by node",
    auth: "admin",
    responses: { 200: { description: "The tree", schema: api.RegionTreeSchema } },
  },
  {
    method: "get",
    path: "/v1/admin/metrics",
    summary: "Every task's metrics in Prometheus text format",
    auth: "admin",
    responses: { 200: { description: "Metrics", text: "text/plain; version=0.0.4" } },
  },
  {
    method: "get",
    path: "/v1/tasks/:task/status",
    summary: "The task's status, as the dashboard shows it",
    auth: "admin",
    responses: { 200: { description: "The status", schema: api.TaskStatusSchema } },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/devices",
    summary: "Register a device",
    auth: "none",
    request: { schema: api.RegisterRequestSchema, optional: true },
    responses: { 201: { description: "The device's identity and token", schema: api.RegistrationSchema } },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/checkin",
    summary: "Ask whether to train now",
    auth: "device",
    request: { schema: api.CheckinRequestSchema, optional: true },
    responses: { 200: { description: "Train or wait", schema: api.CheckinAnswerSchema } },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/evaluations",
    summary: "Report a version's loss and accuracy on local data",
    auth: "device",
    request: { schema: api.EvaluationReportSchema },
    responses: { 202: { description: "Recorded", schema: api.EvaluationAcceptedSchema } },
  },
  {
    method: "get",
    path: "/v1/tasks/:task/model",
    summary: "The current model's manifest",
    auth: "reader",
    responses: { 200: { description: "The manifest", schema: api.ManifestSchema } },
  },
  {
    method: "get",
    path: "/v1/tasks/:task/model/:version",
    summary: "One version's manifest (immutable): what a device assigned it trains from",
    auth: "reader",
    responses: { 200: { description: "The manifest", schema: api.ManifestSchema } },
  },
  {
    method: "get",
    path: "/v1/tasks/:task/model/:version/weights",
    summary: "A version's weights: parameters little-endian f32 values",
    auth: "reader",
    responses: {
      200: { description: "The weights", binary: "application/octet-stream" },
      304: { description: "Not modified (If-None-Match)" },
    },
  },
  {
    method: "get",
    path: "/v1/tasks/:task/model/graph/:sha256",
    summary: "The task's ONNX graph, content-addressed",
    auth: "reader",
    responses: {
      200: { description: "The graph", binary: "application/octet-stream" },
      304: { description: "Not modified (If-None-Match)" },
    },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/updates",
    summary: "Upload an update frame (docs/protocol.md#update-frame)",
    auth: "device",
    request: { binary: "application/octet-stream" },
    responses: { 202: { description: "Acknowledged", schema: api.UpdateReceiptSchema } },
  },
  {
    method: "get",
    path: "/v1/tasks/:task/secure/:version",
    summary: "Where the cluster's secure round for a version stands",
    auth: "device",
    responses: { 200: { description: "The round", schema: api.SecureRoundViewSchema } },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/secure/:version/keys",
    summary: "Secure round, phase 1: advertise two public keys",
    auth: "device",
    request: { schema: api.SecureKeysSchema },
    responses: { 202: { description: "Joined", schema: api.SecureRoundViewSchema } },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/secure/:version/shares",
    summary: "Secure round, phase 2: encrypted key and seed shares for the other members",
    auth: "device",
    request: { schema: api.SecureSharesSchema },
    responses: { 202: { description: "Stored", schema: api.SecureRoundViewSchema } },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/secure/:version/masked",
    summary: "Secure round, phase 3: the masked input, 4 bytes per parameter (little-endian uint32)",
    auth: "device",
    request: { binary: "application/octet-stream" },
    responses: { 202: { description: "Stored", schema: api.SecureRoundViewSchema } },
  },
  {
    method: "post",
    path: "/v1/tasks/:task/secure/:version/unmask",
    summary: "Secure round, phase 4: one revealed share for each member that shared keys",
    auth: "device",
    request: { schema: api.SecureUnmaskSchema },
    responses: { 202: { description: "Stored", schema: api.SecureRoundViewSchema } },
  },
];

/** Response bodies by component name; a schema inside another is a `$ref` to its component. */
const RESPONSES: Record<string, z.ZodType> = {
  ErrorBody: api.ErrorBodySchema,
  ServiceIndex: api.ServiceIndexSchema,
  TaskConfig: api.TaskConfigRequestSchema,
  TaskView: api.TaskViewSchema,
  AdminTaskView: api.AdminTaskViewSchema,
  GraphStored: api.GraphStoredSchema,
  ModelManifest: api.ModelManifestSchema,
  ClusterView: api.ClusterViewSchema,
  ReclusterResult: api.ReclusterResultSchema,
  RegionTree: api.RegionTreeSchema,
  TaskStatus: api.TaskStatusSchema,
  Registration: api.RegistrationSchema,
  CheckinAnswer: api.CheckinAnswerSchema,
  EvaluationAccepted: api.EvaluationAcceptedSchema,
  Manifest: api.ManifestSchema,
  UpdateReceipt: api.UpdateReceiptSchema,
  SecureRoundView: api.SecureRoundViewSchema,
};

/** Request bodies, as clients may send them (defaults omitted). */
const REQUESTS: Record<string, z.ZodType> = {
  TaskConfigInput: api.TaskConfigRequestSchema,
  RollbackRequest: api.RollbackRequestSchema,
  RegisterRequest: api.RegisterRequestSchema,
  CheckinRequest: api.CheckinRequestSchema,
  EvaluationReport: api.EvaluationReportSchema,
  SecureKeys: api.SecureKeysSchema,
  SecureShares: api.SecureSharesSchema,
  SecureUnmask: api.SecureUnmaskSchema,
};

/** OpenAPI's `{name}` for hono's `:name`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function components(named: Record<string, z.ZodType>, io: "input" | "output"): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]),
  );
}

function ref(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const named = io === "input" ? REQUESTS : RESPONSES;
  const name = Object.entries(named).find(([, s]) => s === schema)?.[0];
  if (!name) throw new Error(`no ${io} component for a schema in OPERATIONS`);
  return { $ref: `#/components/schemas/${name}` };
}

const SECURITY: Record<Auth, Record<string, string[]>[]> = {
  none: [],
  admin: [{ admin: [] }],
  device: [{ device: [] }],
  reader: [{ device: [] }, { admin: [] }],
};

function parameters(path: string) {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      const content = r.schema
        ? { "application/json": { schema: ref(r.schema, "output") } }
        : r.binary
          ? { [r.binary]: { schema: { type: "string", contentMediaType: r.binary } } }
          : r.text
            ? { [r.text]: { schema: { type: "string" } } }
            : op.path === "/v1/openapi.json"
              ? { "application/json": { schema: { type: "object" } } }
              : undefined;
      responses[status] = { description: r.description, ...(content ? { content } : {}) };
    }
    if (op.path !== "/" && op.path !== "/v1/openapi.json") {
      responses.default = {
        description: JSON_ERRORS,
        content: { "application/json": { schema: ref(api.ErrorBodySchema, "output") } },
      };
    }
    const request = op.request
      ? "binary" in op.request
        ? {
            required: true,
            content: {
              [op.request.binary]: { schema: { type: "string", contentMediaType: op.request.binary } },
            },
          }
        : {
            required: !op.request.optional,
            content: { "application/json": { schema: ref(op.request.schema, "input") } },
          }
      : undefined;
    const key = openApiPath(op.path);
    paths[key] ??= {};
    (paths[key] as Record<string, unknown>)[op.method] = {
      summary: op.summary,
      operationId: `${op.method}${key.replace(/\{([^}]+)\}/g, "By-$1").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
      security: SECURITY[op.auth],
      ...(op.path.includes(":") ? { parameters: parameters(op.path) } : {}),
      ...(request ? { requestBody: request } : {}),
      responses,
    };
  }
  const schemas = { ...components(RESPONSES, "output"), ...components(REQUESTS, "input") };
  return {
    openapi: "3.1.0",
    info: {
      title: "fedge",
      version: "1",
      description:
        "Federated learning aggregation at the edge. The prose specification, errors and the binary update frame: docs/protocol.md.",
    },
    paths,
    components: {
      schemas,
      securitySchemes: {
        admin: { type: "http", scheme: "bearer", description: "The deployment's ADMIN_TOKEN" },
        device: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A device token" },
      },
    },
  };
}
