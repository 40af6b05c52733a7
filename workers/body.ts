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
