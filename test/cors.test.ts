/**
 * Browser apps on their own origin (issue 13, part 1): preflights are answered, every
 * response to an admitted origin (errors included) says so, and the headers the SDK reads
 * are exposed. The test configuration admits https://app.fedge.test and any localhost port.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../workers/app";
import { CORS_MAX_AGE_SECONDS } from "../workers/cors";
import { parseCorsOrigins } from "../workers/cors-origins";
import {
  adminHeaders,
  api,
  createTask,
  type Device,
  denseFrame,
  flatModel,
  manifest,
  register,
} from "./helpers";

const TASK = "cors";
const APP = "https://app.fedge.test";
let device: Device;

beforeAll(async () => {
  expect((await createTask(TASK, { model: flatModel(4) })).status).toBe(201);
  device = await register(TASK, "weur");
});

function preflight(path: string, origin: string, method = "POST", headers = "authorization,content-type") {
  return api(path, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": headers,
    },
  });
}

const list = (value: string | null) => (value ?? "").split(",").map((item) => item.trim().toLowerCase());

describe("preflight", () => {
  it("answers OPTIONS with 204, the methods and headers the SDK sends, and a max age", async () => {
    const res = await preflight(`/v1/tasks/${TASK}/updates`, APP);

    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    expect(list(res.headers.get("Access-Control-Allow-Methods"))).toEqual(
      expect.arrayContaining(["get", "post", "put"]),
    );
    expect(list(res.headers.get("Access-Control-Allow-Headers"))).toEqual(
      expect.arrayContaining(["authorization", "content-type", "if-none-match"]),
    );
    expect(res.headers.get("Access-Control-Max-Age")).toBe(String(CORS_MAX_AGE_SECONDS));
    expect(list(res.headers.get("Vary"))).toContain("origin");
  });

  it("answers before the task, token and body checks: an unknown task's preflight is 204 too", async () => {
    const res = await preflight("/v1/tasks/no-such-task/checkin", APP);

    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(APP);
  });

  it("does NOT admit an origin that is not listed: no Access-Control-Allow-Origin", async () => {
    const res = await preflight(`/v1/tasks/${TASK}/updates`, "https://evil.example");

    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("responses to an admitted origin", () => {
  it("registration answers 201 with the origin and the exposed ETag, Retry-After and X-Fedge-Version", async () => {
    const res = await api(`/v1/tasks/${TASK}/devices`, {
      method: "POST",
      headers: { Origin: APP, "X-Fedge-Region": "weur" },
    });

    expect(res.status).toBe(201);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    expect(list(res.headers.get("Access-Control-Expose-Headers"))).toEqual(
      expect.arrayContaining(["etag", "retry-after", "x-fedge-version"]),
    );
  });

  it("weights: 200 and the 304 for If-None-Match both carry the origin, so a page can revalidate", async () => {
    const version = (await manifest(TASK)).version;
    const path = `/v1/tasks/${TASK}/model/${version}/weights`;
    const auth = { Authorization: `Bearer ${device.token}`, Origin: APP };

    const full = await api(path, { headers: auth });
    await full.arrayBuffer();
    const etag = full.headers.get("ETag");
    const revalidated = await api(path, { headers: { ...auth, "If-None-Match": etag ?? "" } });

    expect(full.status).toBe(200);
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(full.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("Access-Control-Allow-Origin")).toBe(APP);
  });

  it("an accepted upload (202) carries the origin", async () => {
    const res = await api(`/v1/tasks/${TASK}/updates`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${device.token}`,
        "Content-Type": "application/octet-stream",
        Origin: APP,
      },
      body: denseFrame(device, new Float32Array(4).fill(0.5), { sampleWeight: 1 }),
    });

    expect(res.status).toBe(202);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(APP);
  });

  it.each([
    ["401 without a token", `/v1/tasks/${TASK}/checkin`, { method: "POST" }, 401],
    ["404 for an unknown task", "/v1/tasks/no-such-task/checkin", { method: "POST" }, 404],
    ["404 for an unknown route", "/v1/nowhere", {}, 404],
    [
      "413 for a body over the limit",
      `/v1/tasks/${TASK}/checkin`,
      { method: "POST", body: "x".repeat(65 * 1024), headers: { "Content-Type": "application/json" } },
      413,
    ],
    ["401 for the admin view without the admin token", `/v1/admin/tasks/${TASK}`, {}, 401],
  ] as const)("errors carry the origin too: %s", async (_name, path, init, status) => {
    const headers = { ...("headers" in init ? init.headers : {}), Origin: APP };

    const res = await api(path, { ...init, headers });

    expect(res.status).toBe(status);
    expect((await res.json()) as object).toHaveProperty("error.code");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    expect(list(res.headers.get("Access-Control-Expose-Headers"))).toContain("retry-after");
  });

  it("admits any port of localhost and 127.0.0.1 over http in local development", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:8080", "http://localhost"]) {
      const res = await api("/", { headers: { Origin: origin } });
      expect(res.headers.get("Access-Control-Allow-Origin"), origin).toBe(origin);
    }
  });

  it("does NOT admit look-alikes of the local patterns", async () => {
    for (const origin of [
      "https://localhost:5173",
      "http://localhost.evil.example:5173",
      "http://127.0.0.2:80",
    ]) {
      const res = await api("/", { headers: { Origin: origin } });
      expect(res.headers.get("Access-Control-Allow-Origin"), origin).toBeNull();
    }
  });

  it("a request without Origin (a device, curl) gets no Access-Control-Allow-Origin and is served as before", async () => {
    const res = await api(`/v1/admin/tasks/${TASK}`, { headers: adminHeaders() });

    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("deployed (no FEDGE_LOCAL_DEV)", () => {
  const deployed = (corsOrigins: string) =>
    ({ ...env, FEDGE_LOCAL_DEV: undefined, CORS_ORIGINS: corsOrigins }) as unknown as Env;
  const call = (environment: Env, origin: string) =>
    app.fetch(
      new Request("https://fedge.test/", { headers: { Origin: origin } }),
      environment,
      createExecutionContext(),
    );

  it("admits exactly the listed origins", async () => {
    const environment = deployed(" https://app.example.com , https://admin.example.com:8443");

    const listed = await call(environment, "https://admin.example.com:8443");
    const other = await call(environment, "http://localhost:5173");

    expect(listed.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example.com:8443");
    expect(other.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("refuses a localhost pattern with 503 misconfigured naming the entry", async () => {
    const res = await call(deployed("https://app.example.com,http://localhost:*"), "https://app.example.com");

    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(503);
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.message).toContain('CORS_ORIGINS[1] "http://localhost:*"');
  });

  it("admits no origin when CORS_ORIGINS is empty", async () => {
    const res = await call(deployed(""), "https://app.example.com");

    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("parseCorsOrigins", () => {
  it.each([
    ["https://app.example.com/", "a trailing slash"],
    ["https://app.example.com/sdk", "a path"],
    ["*", "a wildcard"],
    ["app.example.com", "no scheme"],
    ["https://*.example.com", "a host pattern"],
  ])("refuses %s (%s): it would never match what a browser sends", (entry) => {
    expect(() => parseCorsOrigins(entry, true)).toThrow(/is not an origin/);
  });

  it("keeps exact origins and, locally, the two port patterns", () => {
    const origins = parseCorsOrigins("https://a.example,http://localhost:*, http://127.0.0.1:* ,", true);

    expect([...origins.exact]).toEqual(["https://a.example"]);
    expect([...origins.anyPortHosts]).toEqual(["localhost", "127.0.0.1"]);
  });
});
