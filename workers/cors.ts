/**
 * Cross-origin access for browser apps served from another origin than the Worker.
 * CORS_ORIGINS lists the admitted origins, comma-separated and exact (`https://app.example.com`);
 * local runs (.dev.vars, the test configuration) may also admit any port of localhost with
 * `http://localhost:*` and `http://127.0.0.1:*`. Preflights are answered here, before any
 * route, and every other response (errors included) carries the admitted origin.
 */
import type { Context } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "./app-env";
import { admittedOrigin, type CorsOrigins, parseCorsOrigins } from "./cors-origins";

/** What this module reads from the env. */
export interface CorsBindings {
  CORS_ORIGINS?: string;
  /** "true" only in .dev.vars and the test configuration: localhost port patterns are honoured there only. */
  FEDGE_LOCAL_DEV?: string;
}

/** One parse per distinct configuration: the env of an isolate does not change between requests. */
const parsed = new Map<string, CorsOrigins>();

function originsOf(env: CorsBindings): CorsOrigins {
  const local = env.FEDGE_LOCAL_DEV === "true";
  const key = `${local}\n${env.CORS_ORIGINS ?? ""}`;
  let origins = parsed.get(key);
  if (!origins) {
    origins = parseCorsOrigins(env.CORS_ORIGINS, local);
    parsed.set(key, origins);
  }
  return origins;
}

/** Chromium caps a preflight's cache at 2 hours; a longer max age would mean less than it says. */
export const CORS_MAX_AGE_SECONDS = 7200;

export const corsMiddleware = cors({
  origin: (origin: string, c: Context<AppEnv>) => (origin ? admittedOrigin(origin, originsOf(c.env)) : null),
  // The SDK uses GET and POST; PUT is the admin's (a dashboard on its own origin).
  allowMethods: ["GET", "HEAD", "POST", "PUT"],
  // Authorization: device and admin tokens; If-None-Match: the SDK's model cache;
  // X-Fedge-Region: honoured only where ALLOW_REGION_OVERRIDE is "true" (workers/region.ts).
  allowHeaders: ["Authorization", "Content-Type", "If-None-Match", "X-Fedge-Region"],
  // ETag for 304s, Retry-After for backoff, X-Fedge-Version on weights.
  exposeHeaders: ["ETag", "Retry-After", "X-Fedge-Version"],
  maxAge: CORS_MAX_AGE_SECONDS,
});
