/**
 * How every Durable Object RPC reports an outcome the caller must act on: a value, or
 * an error with a stable code (shared/errors.ts). The edge unwraps a Result into the
 * documented HTTP error; a tier's flush machine retries an error whose status is 5xx
 * and dead-letters the batch on any other (durable-objects/flush-machine.ts). Anything
 * thrown instead (a lost connection, a reset object) is transient by definition.
 */
import { ERROR_STATUS, type ErrorCode, FedgeError } from "./errors";

export interface ResultError {
  code: ErrorCode;
  message: string;
  /** For a refusal to retry later (429, 503): when. */
  retryAfterSeconds?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ResultError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(code: ErrorCode, message: string, retryAfterSeconds?: number): Result<T> => ({
  ok: false,
  error: retryAfterSeconds === undefined ? { code, message } : { code, message, retryAfterSeconds },
});

/** The value, or the error as a FedgeError (which the edge's error handler turns into its HTTP answer). */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const { code, message, retryAfterSeconds } = result.error;
  throw new FedgeError(code, message, retryAfterSeconds);
}

/** Runs `fn`, turning a thrown FedgeError into a failed Result; anything else is rethrown. */
export async function attempt<T>(fn: () => T | Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    if (err instanceof FedgeError) return fail(err.code, err.message, err.retryAfterSeconds);
    throw err;
  }
}

/** A refusal that sending the same thing again cannot change: every 4xx. */
export function isPermanent(code: ErrorCode): boolean {
  return ERROR_STATUS[code] < 500;
}
