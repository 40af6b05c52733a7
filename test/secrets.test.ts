/**
 * Secrets (issue 8): outside local development the Worker refuses to issue or accept
 * device tokens, or admin requests, while TOKEN_SECRET or ADMIN_TOKEN is missing, short,
 * or the development default, and says which secret to set. The test configuration marks
 * local development, so production is exercised by calling the app with another env.
 */
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import devVarsExample from "../.dev.vars.example?raw";
import { directoryStub } from "../durable-objects/stubs";
import { app } from "../workers/app";
import { adminToken, tokenSecret } from "../workers/secrets";
import { createTask, flatModel } from "./helpers";

const TASK = "secrets";
const STRONG_SECRET = "7f3a9c0e5b1d4f6a8c2e0b9d7f5a3c1e"; // 32 bytes
const STRONG_ADMIN = "a2c4e6f8b1d3f5a7c9e1b3d5f7a9c2e4"; // 32 bytes

/** The values .dev.vars.example gives every clone. */
function exampleValue(name: string): string {
  const value = devVarsExample.match(new RegExp(`^${name}=(.*)$`, "m"))?.[1]?.trim();
  if (!value) throw new Error(`.dev.vars.example has no ${name}`);
  return value;
}

type Secrets = { ADMIN_TOKEN?: string | undefined; TOKEN_SECRET?: string | undefined };

/** The test bindings as deployed: no local-development marker, strong secrets unless overridden. */
function production(secrets: Secrets = {}): Env {
  return {
    ...env,
    FEDGE_LOCAL_DEV: undefined,
    ADMIN_TOKEN: STRONG_ADMIN,
    TOKEN_SECRET: STRONG_SECRET,
    ...secrets,
  } as Env;
}

async function call(environment: Env, path: string, init: RequestInit = {}): Promise<Response> {
  return app.fetch(new Request(`https://fedge.test${path}`, init), environment, createExecutionContext());
}

/** A device token as registration would sign it with `secret` (with anything, when that is missing or empty). */
async function deviceToken(secret: string | undefined): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  const claims = { sub: "d-secrets", task: TASK, region: "weur", cluster: 0, iat, exp: iat + 3600 };
  return sign(claims, secret || "whatever-the-client-has", "HS256");
}

async function expectMisconfigured(res: Response, secret: string, why: RegExp) {
  const body = (await res.json()) as { error?: { code: string; message: string } };
  expect({ status: res.status, code: body.error?.code }).toEqual({ status: 503, code: "misconfigured" });
  expect(body.error?.message).toMatch(why);
  expect(body.error?.message).toContain(`wrangler secret put ${secret}`);
}

beforeAll(async () => {
  expect((await createTask(TASK, { model: flatModel(4) })).status).toBe(201);
});

const weak = (name: "ADMIN_TOKEN" | "TOKEN_SECRET"): [string, string | undefined, RegExp][] => [
  ["missing", undefined, new RegExp(`${name} is not set`)],
  ["empty", "", new RegExp(`${name} is not set`)],
  ["shorter than 32 bytes", "x".repeat(31), new RegExp(`${name} is shorter than 32 bytes`)],
  ["the development default", exampleValue(name), new RegExp(`${name} is the development default`)],
];

describe("outside local development", () => {
  it.each(weak("TOKEN_SECRET"))(
    "refuses device tokens while TOKEN_SECRET is %s, with 503 misconfigured naming the secret",
    async (_case, secret, why) => {
      // Prepare: a token that the weak secret itself would accept.
      const token = await deviceToken(secret);

      // Execute
      const res = await call(production({ TOKEN_SECRET: secret }), `/v1/tasks/${TASK}/checkin`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
      });

      // Assert
      await expectMisconfigured(res, "TOKEN_SECRET", why);
    },
  );

  it.each(weak("TOKEN_SECRET"))(
    "refuses to register a device while TOKEN_SECRET is %s, with 503 misconfigured, placing no device",
    async (_case, secret, why) => {
      const res = await call(production({ TOKEN_SECRET: secret }), `/v1/tasks/${TASK}/devices`, {
        method: "POST",
        headers: { "X-Fedge-Region": "afr" },
      });
      await expectMisconfigured(res, "TOKEN_SECRET", why);
      const placed = await runInDurableObject(directoryStub(env, TASK, "afr"), (_, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM devices").one(),
      );
      expect(placed.n).toBe(0);
    },
  );

  it.each(weak("ADMIN_TOKEN"))(
    "refuses admin requests while ADMIN_TOKEN is %s, with 503 misconfigured naming the secret",
    async (_case, token, why) => {
      const res = await call(production({ ADMIN_TOKEN: token }), `/v1/admin/tasks/${TASK}`, {
        headers: { Authorization: `Bearer ${token ?? "anything"}` },
      });
      await expectMisconfigured(res, "ADMIN_TOKEN", why);
    },
  );

  it("registers, checks in and answers the admin with strong secrets", async () => {
    // Prepare
    const deployed = production();

    // Execute
    const registration = await call(deployed, `/v1/tasks/${TASK}/devices`, { method: "POST" });
    const { token } = (await registration.json()) as { token: string };
    const checkin = await call(deployed, `/v1/tasks/${TASK}/checkin`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
    });
    const admin = await call(deployed, `/v1/admin/tasks/${TASK}`, {
      headers: { Authorization: `Bearer ${STRONG_ADMIN}` },
    });

    // Assert
    expect([registration.status, checkin.status, admin.status]).toEqual([201, 200, 200]);
  });

  it("still serves devices the model while only ADMIN_TOKEN is misconfigured", async () => {
    const registration = await call(production(), `/v1/tasks/${TASK}/devices`, { method: "POST" });
    const { token } = (await registration.json()) as { token: string };
    const res = await call(production({ ADMIN_TOKEN: "short" }), `/v1/tasks/${TASK}/model`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
  });
});

describe("in local development", () => {
  it("is marked by FEDGE_LOCAL_DEV=true in .dev.vars.example and in the test configuration", () => {
    expect(exampleValue("FEDGE_LOCAL_DEV")).toBe("true");
    expect((env as Env & { FEDGE_LOCAL_DEV?: string }).FEDGE_LOCAL_DEV).toBe("true");
  });

  it("accepts the short test secrets and the development defaults", async () => {
    const local = { ...env, ADMIN_TOKEN: exampleValue("ADMIN_TOKEN") } as Env;
    const res = await call(local, `/v1/admin/tasks/${TASK}`, {
      headers: { Authorization: `Bearer ${exampleValue("ADMIN_TOKEN")}` },
    });
    expect(res.status).toBe(200);
  });

  it("still refuses a missing TOKEN_SECRET with 503 misconfigured", async () => {
    const res = await call(
      { ...env, TOKEN_SECRET: undefined } as unknown as Env,
      `/v1/tasks/${TASK}/checkin`,
      {
        method: "POST",
        headers: { Authorization: `Bearer ${await deviceToken(undefined)}` },
      },
    );
    await expectMisconfigured(res, "TOKEN_SECRET", /TOKEN_SECRET is not set/);
  });
});

describe("tokenSecret and adminToken", () => {
  it("return a usable secret, and throw misconfigured naming the secret otherwise (registration signs with it)", () => {
    // Prepare
    const deployed = { TOKEN_SECRET: STRONG_SECRET, ADMIN_TOKEN: "dev-admin-token" };

    // Execute / Assert
    expect(tokenSecret(deployed)).toBe(STRONG_SECRET);
    expect(() => adminToken(deployed)).toThrow(
      expect.objectContaining({ code: "misconfigured", message: expect.stringContaining("ADMIN_TOKEN") }),
    );
    expect(adminToken({ ...deployed, FEDGE_LOCAL_DEV: "true" })).toBe("dev-admin-token");
    expect(() => tokenSecret({ FEDGE_LOCAL_DEV: "true" })).toThrow(/TOKEN_SECRET is not set/);
  });

  it("counts bytes, not characters: 16 two-byte characters are a 32-byte secret", () => {
    expect(tokenSecret({ TOKEN_SECRET: "é".repeat(16) })).toBe("é".repeat(16));
    expect(() => tokenSecret({ TOKEN_SECRET: "é".repeat(15) })).toThrow(/shorter than 32 bytes/);
  });
});
