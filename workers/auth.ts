/**
 * Admin requests carry `Authorization: Bearer <ADMIN_TOKEN>`. Devices carry a JWT
 * (HS256, hono/jwt) issued at registration, which names the device's task, region and
 * cluster, so an upload is routed with no lookup. Both secrets are checked before use
 * (./secrets.ts): a misconfigured one is refused with 503 `misconfigured`, never used.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { sign, verify } from "hono/jwt";
import { timingSafeEqual } from "hono/utils/buffer";
import { FedgeError } from "../shared/errors";
import { isRegion, type Region } from "../shared/regions";
import type { AppEnv } from "./app-env";
import { adminToken, secretProblem, tokenSecret } from "./secrets";

export const TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** A check-in renews a token that has less than this left. */
export const TOKEN_RENEW_WITHIN_SECONDS = 7 * 24 * 3600;

export interface DeviceClaims {
  sub: string;
  task: string;
  region: Region;
  cluster: number;
  iat: number;
  exp: number;
}

function bearer(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] ?? null;
}

/**
 * Whether the request carries the admin bearer token (compared in constant time). While
 * ADMIN_TOKEN is misconfigured nobody is admin, and routes that also serve devices go on serving them.
 */
export async function isAdmin(c: Context<AppEnv>): Promise<boolean> {
  const token = bearer(c.req.header("Authorization"));
  if (token === null || secretProblem(c.env, "ADMIN_TOKEN") !== null) return false;
  return timingSafeEqual(token, c.env.ADMIN_TOKEN);
}

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = adminToken(c.env);
  const token = bearer(c.req.header("Authorization"));
  if (token === null) throw new FedgeError("unauthorized", "missing Authorization: Bearer <admin token>");
  if (!(await timingSafeEqual(token, expected))) throw new FedgeError("unauthorized", "invalid admin token");
  await next();
});

export async function issueDeviceToken(
  secret: string,
  claims: Omit<DeviceClaims, "iat" | "exp">,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(now / 1000);
  const exp = iat + TOKEN_TTL_SECONDS;
  const token = await sign({ ...claims, iat, exp }, secret, "HS256");
  return { token, expiresAt: exp * 1000 };
}

/** Verifies the device token and that it was issued for the task in the path (else 403). */
export const requireDevice = createMiddleware<AppEnv>(async (c, next) => {
  const secret = tokenSecret(c.env);
  const token = bearer(c.req.header("Authorization"));
  if (!token) throw new FedgeError("unauthorized", "missing Authorization: Bearer <device token>");
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, secret, "HS256");
  } catch (err) {
    const reason =
      err instanceof Error && err.name === "JwtTokenExpired"
        ? "device token has expired"
        : "invalid device token";
    throw new FedgeError("unauthorized", reason);
  }
  const { sub, task, region, cluster, iat, exp } = payload;
  if (
    typeof sub !== "string" ||
    typeof task !== "string" ||
    !isRegion(region) ||
    !Number.isInteger(cluster) ||
    typeof iat !== "number" ||
    typeof exp !== "number"
  ) {
    throw new FedgeError("unauthorized", "device token is missing claims");
  }
  if (task !== c.req.param("task")) {
    throw new FedgeError("forbidden", `device token is for task "${task}", not "${c.req.param("task")}"`);
  }
  c.set("device", { sub, task, region, cluster: cluster as number, iat, exp });
  await next();
});
