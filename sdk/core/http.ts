/**
 * Requests to fedge: URL resolution, bearer tokens, the error body, Retry-After, timeouts,
 * and the link measurements. Everything above it sees either a result, a FedgeApiError, a
 * FedgeNetworkError, or (in a browser page, for a cross-origin server) a FedgeBlockedError.
 */
import type { Clock } from "./clock";
import { FedgeApiError, FedgeBlockedError, FedgeNetworkError } from "./errors";
import type { LinkMetrics } from "./link-metrics";
import { parseRetryAfter } from "./retry-after";

/** The subset of `fetch` the client uses; the platform's `fetch` satisfies it. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpOptions {
  baseUrl: string;
  fetch: FetchLike;
  clock: Clock;
  metrics: LinkMetrics;
  /** Aborts a request (including reading its body) that takes longer, so a dead link cannot stall the queue. */
  timeoutMs: number;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Statuses besides 2xx to hand to `read` instead of throwing (e.g. 304). */
  accept?: number[];
  /** What the request measures: the round trip of a small request, the throughput of an upload, or nothing. */
  measure?: "rtt" | "upload";
}

export class Http {
  constructor(private readonly options: HttpOptions) {}

  /** Server URLs are absolute paths; they are resolved against the base URL (docs/protocol.md#overview). */
  url(path: string): string {
    return new URL(path, this.options.baseUrl).toString();
  }

  async request<T>(
    path: string,
    options: RequestOptions,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    const { clock, metrics, timeoutMs } = this.options;
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    // A real timer, not the injectable clock: the clock paces retries, this guards against a hung socket.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      const started = clock.now();
      const url = this.url(path);
      let response: Response;
      try {
        response = await this.options.fetch(url, {
          method: options.method ?? "GET",
          headers,
          // Typed arrays are valid bodies everywhere; the DOM typings only admit ArrayBuffer-backed ones.
          body: options.body as BodyInit | undefined,
          signal: controller.signal,
        });
      } catch (error) {
        throw controller.signal.aborted
          ? new FedgeNetworkError(error)
          : await this.failure(url, error, controller);
      }
      const elapsed = clock.now() - started;
      if (options.measure === "rtt") metrics.recordRoundTrip(elapsed);
      // Only an accepted upload surely had its body read; a refusal may come before the body is sent.
      if (options.measure === "upload" && response.ok)
        metrics.recordUpload(options.body?.length ?? 0, elapsed);
      if (options.measure === "upload" && (response.status === 429 || response.status === 503))
        metrics.recordRefusal();
      if (!response.ok && !options.accept?.includes(response.status)) throw await apiError(response, clock);
      try {
        return await read(response);
      } catch (error) {
        // The body broke off mid-way: as much a network failure as no answer at all.
        if (error instanceof FedgeApiError || error instanceof FedgeNetworkError) throw error;
        throw new FedgeNetworkError(error);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Why fetch threw. A browser reports a CORS refusal exactly as it reports no network (a
   * TypeError, by design: the Fetch standard's "network error"), so a page asks again with
   * `mode: "no-cors"`, which needs no permission from the server: an (opaque) answer means
   * the server is reachable and only CORS stood in the way; another failure means offline.
   * Outside a page (Node, React Native) there is no CORS and nothing to tell apart.
   */
  private async failure(url: string, error: unknown, controller: AbortController): Promise<Error> {
    const page = pageOrigin();
    if (page === undefined || new URL(url).origin === page || !(error instanceof TypeError))
      return new FedgeNetworkError(error);
    try {
      // GET whatever the refused method: a probe must change nothing on the server.
      // `mode` and `credentials` are the DOM's (the Workers types this compiles against have neither).
      const init: RequestInit & { mode: "no-cors"; credentials: "omit" } = {
        method: "GET",
        mode: "no-cors",
        credentials: "omit",
        signal: controller.signal,
      };
      const probe = await this.options.fetch(url, init);
      await probe.body?.cancel();
    } catch {
      return new FedgeNetworkError(error);
    }
    return new FedgeBlockedError(url, page, error);
  }

  /** A request whose answer's body does not matter; reading it lets the connection be reused. */
  send(path: string, options: RequestOptions): Promise<void> {
    return this.request(path, options, async (r) => void (await r.arrayBuffer()));
  }

  /** A JSON request whose answer is JSON. */
  json<T>(path: string, options: Omit<RequestOptions, "body" | "measure"> & { body?: unknown }): Promise<T> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers =
      body === undefined ? options.headers : { "Content-Type": "application/json", ...options.headers };
    return this.request(path, { ...options, headers, body, measure: "rtt" }, (r) => r.json() as Promise<T>);
  }
}

/** The origin of the page (or worker) this runs in; undefined outside browsers, and for opaque origins. */
function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === "string" && origin !== "null" ? origin : undefined;
}

/** Builds the error from fedge's `{ error: { code, message } }`, or from the status for anything else (a proxy's page). */
async function apiError(response: Response, clock: Clock): Promise<FedgeApiError> {
  const retryAfterMs = parseRetryAfter(response.headers.get("Retry-After"), clock.now());
  let code = `http_${response.status}`;
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // Not JSON: keep the status-derived code.
  }
  return new FedgeApiError(response.status, code, message, retryAfterMs);
}
