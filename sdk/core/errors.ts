/** What a request can fail with: the server said no (an HTTP error), or nothing came back at all. */

/** A non-success HTTP answer. `code` is the server's stable error code (docs/protocol.md#errors). */
export class FedgeApiError extends Error {
  override readonly name = "FedgeApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** From `Retry-After`, in ms, when the server sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Worth retrying unchanged, after a delay: the server or a proxy is busy or failing. */
  get retryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** fetch threw (offline, DNS, TLS, reset, timeout): the request may or may not have reached the server. */
export class FedgeNetworkError extends Error {
  override readonly name = "FedgeNetworkError";
  constructor(cause: unknown) {
    super(`network error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Retrying the same request later may succeed. */
export function isTransient(error: unknown): boolean {
  return error instanceof FedgeNetworkError || (error instanceof FedgeApiError && error.retryable);
}
