/**
 * Cross-origin access for browser apps served from another origin than the Worker.
 * CORS_ORIGINS lists the admitted origins, comma-separated and exact (`https://app.example.com`);
 * local runs (.dev.vars, the test configuration) may also admit any port of localhost with
 * `http://localhost:*` and `http://127.0.0.1:*`. Preflights are answered here, before any
 * route, and every other response (errors included) carries the admitted origin.
 */
import type { Context } from "hono";
import { cors } from "hono/cors";
import { FedgeError } from "../shared/errors";
import type { AppEnv } from "./app-env";

/** What this module reads from the env. */
export interface CorsBindings {
  CORS_ORIGINS?: string;
  /** "true" only in .dev.vars and the test configuration: localhost port patterns are honoured there only. */
  FEDGE_LOCAL_DEV?: string;
}

/** The only patterns admitted, and only in local development: any port on the loopback host. */
const LOCAL_PATTERNS = ["http://localhost:*", "http://127.0.0.1:*"] as const;

export interface CorsOrigins {
  exact: ReadonlySet<string>;
  /** Hosts (`localhost`, `127.0.0.1`) whose every `http://` port is admitted. */
  anyPortHosts: ReadonlySet<string>;
}

/**
 * Parses CORS_ORIGINS. An entry is an origin as browsers send it (scheme, host, optional
 * port; no path, no trailing slash) or, where `local`, one of LOCAL_PATTERNS. Anything
 * else is refused with a message naming the entry, since it would never match silently.
 */
export function parseCorsOrigins(value: string | undefined, local: boolean): CorsOrigins {
  const exact = new Set<string>();
  const anyPortHosts = new Set<string>();
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const [index, entry] of entries.entries()) {
    if ((LOCAL_PATTERNS as readonly string[]).includes(entry)) {
      if (!local)
        throw misconfigured(index, entry, "admits any local port and is accepted only in local development");
      anyPortHosts.add(new URL(entry.replace(":*", "")).hostname);
      continue;
    }
    // URL accepts `*` in a host; a browser never sends one.
    const origin = URL.canParse(entry) && !entry.includes("*") ? new URL(entry).origin : "null";
    if (origin === "null" || origin !== entry)
      throw misconfigured(
        index,
        entry,
        "is not an origin like https://app.example.com (scheme, host, port; no path)",
      );
    exact.add(origin);
  }
  return { exact, anyPortHosts };
}

/** The request's Origin if `origins` admits it, else null. */
export function admittedOrigin(origin: string, origins: CorsOrigins): string | null {
  if (origins.exact.has(origin)) return origin;
  if (!URL.canParse(origin)) return null;
  const url = new URL(origin);
  return url.protocol === "http:" && origins.anyPortHosts.has(url.hostname) && url.origin === origin
    ? origin
    : null;
}

function misconfigured(index: number, entry: string, why: string): FedgeError {
  return new FedgeError("misconfigured", `CORS_ORIGINS[${index}] "${entry}" ${why}`);
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
