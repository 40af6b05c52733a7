/**
 * The wire contract (shared/protocol/api.ts) against the app: docs/openapi.json is what the
 * schemas generate, it is served, it is a well-formed OpenAPI 3.1 document, it lists every
 * route the app serves, and the app's JSON answers parse with the schemas it names.
 */
import { describe, expect, it } from "vitest";
import checkedIn from "../docs/openapi.json";
import {
  AdminTaskViewSchema,
  CheckinAnswerSchema,
  ClusterViewSchema,
  ErrorBodySchema,
  EvaluationAcceptedSchema,
  ManifestSchema,
  ModelManifestSchema,
  RegistrationSchema,
  ServiceIndexSchema,
  TaskStatusSchema,
  TaskViewSchema,
  UpdateReceiptSchema,
} from "../shared/protocol/api";
import { OPERATIONS, openApiDocument, openApiPath } from "../shared/protocol/openapi";
import { app } from "../workers/app";
import {
  adminHeaders,
  api,
  createTask,
  flatModel,
  registerOnly,
  seededVector,
  upload,
  waitForVersion,
} from "./helpers";

type Json = Record<string, unknown>;

/** Every `$ref` in the document, with where it is. */
function refs(value: unknown, at = "#"): { at: string; ref: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refs(v, `${at}/${i}`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === "$ref" && typeof v === "string" ? [{ at, ref: v }] : refs(v, `${at}/${k}`),
  );
}

function resolve(document: Json, ref: string): unknown {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], document);
}

describe("the OpenAPI document", () => {
  it("is current: docs/openapi.json is what the schemas generate (npm run openapi rewrites it)", () => {
    expect(checkedIn).toEqual(openApiDocument());
  });

  it("is served at GET /v1/openapi.json without credentials", async () => {
    const res = await api("/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(openApiDocument());
  });

  it("is a well-formed OpenAPI 3.1 document", () => {
    const doc = openApiDocument() as Json & { paths: Record<string, Record<string, Json>> };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const schemes = Object.keys((doc.components as Json).securitySchemes as Json);
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).toMatch(/^\/[^:]*$/);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(["get", "put", "post", "delete", "patch", "head", "options"]).toContain(method);
        expect(operationIds.has(op.operationId as string), `${op.operationId} twice`).toBe(false);
        operationIds.add(op.operationId as string);
        const params = ((op.parameters as Json[] | undefined) ?? []).map((p) => {
          expect(p).toMatchObject({ in: "path", required: true, schema: expect.any(Object) });
          return p.name;
        });
        expect(params, `${method} ${path} parameters`).toEqual(templated);
        for (const requirement of op.security as Json[]) {
          for (const scheme of Object.keys(requirement)) expect(schemes).toContain(scheme);
        }
        const responses = Object.entries(op.responses as Record<string, Json>);
        expect(responses.length).toBeGreaterThan(0);
        for (const [status, response] of responses) {
          expect(status).toMatch(/^([1-5]\d\d|default)$/);
          expect(response.description).toEqual(expect.any(String));
        }
      }
    }
    // Every reference resolves to a schema (an object with a type, a composition or a reference).
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(0);
    for (const { at, ref } of all) {
      expect(ref, at).toMatch(/^#\/components\/schemas\/\w+$/);
      const target = resolve(doc, ref) as Json | undefined;
      expect(target, `${ref} (at ${at})`).toBeTypeOf("object");
      expect(
        ["type", "anyOf", "oneOf", "allOf", "$ref"].some((k) => k in (target as Json)),
        `${ref} is a schema`,
      ).toBe(true);
    }
    for (const schema of Object.values((doc.components as Json).schemas as Json)) {
      expect(schema).not.toHaveProperty("$schema");
    }
  });

  it("lists every route the app serves, and no other", () => {
    const served = new Set(
      app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(openApiDocument().paths as Record<string, Json>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it("and GET / lists them too", async () => {
    const index = ServiceIndexSchema.parse(await (await api("/")).json());
    expect(index.endpoints.map((e) => e.replace(/\s+/, " "))).toEqual(
      OPERATIONS.filter((op) => op.path !== "/").map((op) => `${op.method.toUpperCase()} ${op.path}`),
    );
  });
});

describe("the app's JSON answers", () => {
  it("parse with the schemas the document names", async () => {
    const task = "wire-contract";
    const created = await createTask(task, {
      model: flatModel(4),
      round: { targetUpdates: 1 },
      clusters: { targetSize: 2 },
    });
    expect(created.status).toBe(201);
    TaskViewSchema.parse(await created.json());

    const register = await api(`/v1/tasks/${task}/devices`, {
      method: "POST",
      headers: { "X-Fedge-Region": "weur" },
    });
    expect(register.status).toBe(201);
    const registration = RegistrationSchema.parse(await register.json());
    const device = { ...registration, layoutHash: registration.task.layoutHash };
    const auth = { Authorization: `Bearer ${device.token}` };

    const train = CheckinAnswerSchema.parse(
      await (await api(`/v1/tasks/${task}/checkin`, { method: "POST", headers: auth })).json(),
    );
    expect(train.action).toBe("train");
    const wait = CheckinAnswerSchema.parse(
      await (await api(`/v1/tasks/${task}/checkin`, { method: "POST", headers: auth })).json(),
    );
    expect(wait.action).toBe("wait");

    const sent = await upload(task, device, seededVector(1, 4), { sampleWeight: 3 });
    expect(sent.status).toBe(202);
    UpdateReceiptSchema.parse(await sent.json());
    await waitForVersion(task, 1);

    ManifestSchema.parse(await (await api(`/v1/tasks/${task}/model`, { headers: auth })).json());
    const evaluation = await api(`/v1/tasks/${task}/evaluations`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ version: 1, loss: 0.5, accuracy: 0.75, examples: 10 }),
    });
    expect(evaluation.status).toBe(202);
    EvaluationAcceptedSchema.parse(await evaluation.json());

    const admin = { headers: adminHeaders() };
    AdminTaskViewSchema.parse(await (await api(`/v1/admin/tasks/${task}`, admin)).json());
    TaskStatusSchema.parse(await (await api(`/v1/tasks/${task}/status`, admin)).json());
    const cluster = ClusterViewSchema.parse(
      await (await api(`/v1/admin/tasks/${task}/clusters/weur/${device.cluster}`, admin)).json(),
    );
    expect(cluster.members.map((m) => m.device)).toEqual([device.deviceId]);
    const rollback = await api(`/v1/admin/tasks/${task}/rollback`, {
      method: "POST",
      headers: adminHeaders(),
      body: JSON.stringify({ version: 0 }),
    });
    expect(rollback.status).toBe(201);
    expect(ModelManifestSchema.parse(await rollback.json()).rollbackOf).toBe(0);

    ErrorBodySchema.parse(await (await api(`/v1/tasks/${task}/nowhere`)).json());
    // registerOnly types its body with the same schema's type.
    expect((await registerOnly(task, "enam")).region).toBe("enam");
  });
});
