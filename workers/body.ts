import type { Context } from "hono";
import { FedgeError } from "../shared/errors";

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
