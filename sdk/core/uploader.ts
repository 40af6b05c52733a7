/**
 * Sends the queue, oldest first. Each update is retried with backoff (backoff.ts) while the
 * failure is transient; 202 removes it; a definitive refusal (409 stale_update, or another
 * 4xx) removes it and reports it. When an update runs out of attempts, or the device must
 * re-register twice, the flush stops and everything left stays queued for the next one:
 * nothing is dropped without a verdict from the server.
 */
import { type RetryContext, withRetries } from "./backoff";
import { FedgeApiError } from "./errors";
import type { Http } from "./http";
import type { PendingUpdate, UpdateQueue } from "./queue";
import type { DeviceAuth } from "./registration";
import type { StatsCounter } from "./stats";

export type FedgeEvent =
  | { type: "registered"; deviceId: string }
  | { type: "uploaded"; updateId: string; baseVersion: number }
  | {
      type: "rejected";
      updateId: string;
      baseVersion: number;
      status: number;
      code: string;
      message: string;
    };

export interface Rejection {
  updateId: string;
  status: number;
  code: string;
}

export interface FlushResult {
  /** Update ids accepted by this flush. */
  uploaded: string[];
  /** Updates refused for good by this flush (and removed from the queue). */
  rejected: Rejection[];
  /** Updates still queued. */
  pending: number;
  /** Why the flush stopped early (a network error, a 5xx), if it did. */
  error?: unknown;
}

export interface UploaderDeps {
  http: Http;
  auth: DeviceAuth;
  queue: UpdateQueue;
  stats: StatsCounter;
  retry: RetryContext;
  emit: (event: FedgeEvent) => void;
}

export class Uploader {
  #chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: UploaderDeps) {}

  /**
   * Flushes run one at a time; a second call waits for the first and then sends what is
   * left. At most `limit` updates are sent (the credits of the last check-in); the rest stay
   * queued for the next flush.
   */
  flush(limit = Number.POSITIVE_INFINITY): Promise<FlushResult> {
    const run = this.#chain.then(() => this.run(limit));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  private async run(limit: number): Promise<FlushResult> {
    const { queue, stats, emit } = this.deps;
    const result: FlushResult = { uploaded: [], rejected: [], pending: 0 };
    for (const seq of await queue.seqs()) {
      if (result.uploaded.length + result.rejected.length >= limit) break;
      const update = await queue.get(seq);
      if (update === undefined) continue;
      try {
        await withRetries(() => this.send(update), this.deps.retry);
      } catch (error) {
        if (!isRefusal(error)) {
          result.error = error;
          break;
        }
        await queue.remove(seq);
        await stats.count({ kind: "rejected", code: error.code });
        result.rejected.push({ updateId: update.updateId, status: error.status, code: error.code });
        emit({
          type: "rejected",
          ...updateRef(update),
          status: error.status,
          code: error.code,
          message: error.message,
        });
        continue;
      }
      await queue.remove(seq);
      await stats.count({ kind: "uploaded" });
      result.uploaded.push(update.updateId);
      emit({ type: "uploaded", ...updateRef(update) });
    }
    result.pending = await queue.size();
    return result;
  }

  private send(update: PendingUpdate): Promise<void> {
    const { auth, http } = this.deps;
    // The receipt adds nothing the client needs: the update id is its own.
    return auth.call((token) =>
      http.send(update.url, {
        method: "POST",
        token,
        headers: { "Content-Type": "application/octet-stream" },
        body: update.frame,
        measure: "upload",
      }),
    );
  }
}

/**
 * The server's final word on this update: any 4xx but 401 (re-registration did not help;
 * keep the update for later), 408 and 429 (busy, try later).
 */
function isRefusal(error: unknown): error is FedgeApiError {
  return (
    error instanceof FedgeApiError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 401 &&
    !error.retryable
  );
}

function updateRef(update: PendingUpdate) {
  return { updateId: update.updateId, baseVersion: update.baseVersion };
}
