/** The one place where errors become HTTP responses: `{ error: { code, message } }`. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type ErrorCode, errorBody, FedgeError } from "../shared/errors";
import type { AppEnv } from "./app-env";

/** What a client is told to wait after a transient failure inside the service. */
const RETRY_AFTER_SECONDS = 2;

const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function errorResponse(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof FedgeError) {
    if (err.retryAfterSeconds !== undefined)
      c.header("Retry-After", String(Math.ceil(err.retryAfterSeconds)));
    return c.json(errorBody(err.code, err.message), err.status);
  }
  if (err instanceof HTTPException) {
    const code = CODE_FOR_STATUS[err.status] ?? "internal";
    return c.json(errorBody(code, err.message || code.replaceAll("_", " ")), err.status);
  }
  console.error(`${c.req.method} ${c.req.path}:`, err);
  // A Durable Object that is overloaded, restarting or unreachable says so; the client should retry.
  const flags = err as { retryable?: boolean; overloaded?: boolean };
  if (flags.retryable === true || flags.overloaded === true) {
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    return c.json(errorBody("unavailable", "the service is busy or restarting; retry later"), 503);
  }
  return c.json(errorBody("internal", "internal error"), 500);
}

export function notFound(c: Context<AppEnv>): Response {
  return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
}
