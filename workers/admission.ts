/**
 * Edge admission: Cloudflare's Rate Limiting binding (fixed windows counted per Cloudflare
 * location) in front of the Durable Objects. Uploads are limited per device, registrations
 * per client IP; a request over its limit gets 429 `rate_limited` with a jittered
 * `Retry-After` before any Durable Object is called. The cluster's own flow control
 * (durable-objects/cluster-aggregator.ts) does the fine-grained, load-aware part.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { FedgeError } from "../shared/errors";
import type { AppEnv } from "./app-env";

/** The binding's window, as configured in wrangler.toml ([[ratelimits]] simple.period). */
export const RATE_WINDOW_SECONDS = 10;

async function admit(limiter: RateLimit, key: string, what: string): Promise<void> {
  if ((await limiter.limit({ key })).success) return;
  // Full jitter over the second half of the window spreads the retries of a burst.
  const retryAfter = Math.ceil(RATE_WINDOW_SECONDS / 2 + (Math.random() * RATE_WINDOW_SECONDS) / 2);
  throw new FedgeError("rate_limited", `too many ${what}; retry after ${retryAfter} s`, retryAfter);
}

/**
 * Per device: called by the upload route once a frame has passed the edge's own checks
 * (malformed frames are refused without touching anything), just before the cluster.
 */
export function admitUpload(c: Context<AppEnv>): Promise<void> {
  return admit(c.env.UPLOAD_LIMITER, c.get("device").sub, "uploads from this device");
}

/**
 * Per client IP. Requests without CF-Connecting-IP (local runs: there is no Cloudflare in
 * front) are not limited; on Cloudflare every request has it, and clients cannot set it.
 */
export const limitRegistrations = createMiddleware<AppEnv>(async (c, next) => {
  const ip = c.req.header("CF-Connecting-IP");
  if (ip !== undefined) await admit(c.env.REGISTER_LIMITER, ip, "registrations from this address");
  await next();
});
