/** Request bodies: each route's limit (docs/protocol.md#limits), and how JSON and binary bodies are read. */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { FedgeError } from "../shared/errors";
import type { AppEnv } from "./app-env";

/** Every body but a task config, a graph or an update: registration, check-in and evaluations need a few hundred bytes. */
export const MAX_JSON_BYTES = 64 * 1024;
/** The largest task config the schema admits (10,000 tensors with 256-character names) is ~3.1 MiB compact. */
export const MAX_TASK_CONFIG_BYTES = 4 * 1024 * 1024;

type Limit = number | ((c: Context<AppEnv>) => number | Promise<number>);

/**
 * Bounds the request body at `limit` bytes before anything reads it: a declared
 * Content-Length over the limit is answered 413 at once, and a body without one is
 * counted as the route reads it and fails with 413 when it passes the limit. A request
 * has one limit: the first limitBody that runs for it sets it, later ones pass it through.
 */
export function limitBody(limit: Limit, what = "this request's body") {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.get("bodyLimit") !== undefined) return next();
    const maxBytes = typeof limit === "number" ? limit : await limit(c);
    c.set("bodyLimit", maxBytes);
    const body = c.req.raw.body;
    if (!body) return next();
    const tooLarge = new FedgeError("payload_too_large", `${what} is at most ${maxBytes} bytes`);
    const declared = declaredLength(c.req.raw.headers);
    if (declared !== null) {
      if (declared <= maxBytes) return next();
      // Cancel, then answer: a runtime that drains an unread body before answering (wrangler
      // dev does) would wait for the whole declared length, which may never come.
      await body.cancel();
      throw tooLarge;
    }
    let exceeded = false;
    let bytes = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength;
          if (bytes <= maxBytes) return controller.enqueue(chunk);
          exceeded = true;
          controller.error(tooLarge); // the pipe cancels the rest of the body
        },
      }),
    );
    c.req.raw = new Request(c.req.raw, { body: counted });
    await next();
    // The route may have turned the failed read into an error of its own.
    if (exceeded && c.error !== tooLarge) throw tooLarge;
  });
}

/**
 * Per RFC 9112 §6.3, Transfer-Encoding overrides Content-Length; without either the
 * length is unknown (null) and the body is counted instead.
 */
function declaredLength(headers: Headers): number | null {
  if (headers.has("Transfer-Encoding")) return null;
  const value = headers.get("Content-Length");
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Outermost: whatever the answer, a body the route did not read is cancelled before the
 * answer leaves, so an early 400, 401 or 404 does not wait for the rest of the upload.
 */
export const cancelUnreadBody = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const { raw } = c.req;
  if (raw.body && !raw.bodyUsed && !raw.body.locked) await raw.body.cancel();
});

/** Reads a JSON body; an empty body reads as `fallback` when one is given. */
export async function readJson(c: Context, fallback?: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "" && fallback !== undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FedgeError("invalid_json", `request body is not valid JSON: ${(err as Error).message}`);
  }
}

export const OCTET_STREAM = "application/octet-stream";

/** Binary bodies (frames, graphs) must say so; the media type is compared case-insensitively, parameters ignored. */
export function requireOctetStream(c: Context, what: string): void {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== OCTET_STREAM) {
    throw new FedgeError(
      "unsupported_media_type",
      `${what} must be sent as ${OCTET_STREAM}, got ${type ?? "none"}`,
    );
  }
}
