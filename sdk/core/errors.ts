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

/**
 * The platform lacks an API the SDK needs (`crypto.subtle` outside a secure context,
 * IndexedDB outside a browser). Raised when the client or store is created, before any
 * request, so that no version is assigned to a device that cannot train on it.
 */
export class FedgeUnsupportedError extends Error {
  override readonly name = "FedgeUnsupportedError";
}

/**
 * The server is reachable but the browser refused to hand its answer to the page: the page's
 * origin is not in the Worker's CORS_ORIGINS (or a proxy strips the CORS headers). Retrying
 * cannot fix it, so unlike a FedgeNetworkError it is not transient.
 */
export class FedgeBlockedError extends Error {
  override readonly name = "FedgeBlockedError";
  constructor(
    readonly url: string,
    readonly pageOrigin: string,
    cause: unknown,
  ) {
    super(
      `the browser blocked the answer from ${url} to a page on ${pageOrigin}: ` +
        `add ${pageOrigin} to the Worker's CORS_ORIGINS (docs/operations.md)`,
      { cause },
    );
  }
}
