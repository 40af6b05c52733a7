/** What one phase of the load test saw, and the statistics the report draws from it. */

export type RequestKind = "checkin" | "upload" | "bare";

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentile of ascending values (NIST/Hyndman & Fan definition 1); null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => round(percentile(sorted, p)!, 1);
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/**
 * Jain's fairness index (Jain, Chiu and Hawe, DEC-TR-301, 1984):
 * (Σx)² / (n·Σx²), 1 when every x is equal, 1/n when one takes everything.
 */
export function jainIndex(values: number[]): number | null {
  const sum = values.reduce((s, x) => s + x, 0);
  const squares = values.reduce((s, x) => s + x * x, 0);
  return squares === 0 ? null : (sum * sum) / (values.length * squares);
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface Outcome {
  kind: RequestKind;
  device: number;
  status: number;
  /** error.code of a JSON error body. */
  code?: string | undefined;
  /** The answer carried Retry-After. */
  retryAfter: boolean;
  /** A 202 that acknowledged an update for the first time (not a resend's receipt). */
  newlyAccepted: boolean;
  startedAt: number;
  endedAt: number;
}

/**
 * Counts and latencies of the requests started in one phase. Rates count only answers
 * that arrived inside the phase's window; latencies include answers that came later.
 */
export class PhaseRecorder {
  readonly latencies: Record<RequestKind, number[]> = { checkin: [], upload: [], bare: [] };
  readonly acceptedLatencies: number[] = [];
  readonly statuses: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  /** 429 and 503 answers with Retry-After: the service shedding load, by error.code. */
  readonly shed: Record<string, number> = {};
  /** Answers ≥ 500 that are not a 503 with Retry-After (see the harness's README section). */
  status5xx = 0;
  networkErrors = 0;
  /** Check-in answers: `train`, or `wait:<reason>`. */
  readonly checkinAnswers: Record<string, number> = {};
  acceptedInWindow = 0;
  requestsInWindow = 0;
  accepted = 0;
  /** Arrivals of an open-loop phase that found their device with nothing to send, by why. */
  readonly skipped = { busy: 0, noVersion: 0, waiting: 0 };
  launched = 0;
  readonly acceptedByDevice: Uint32Array;
  #windowEnd = Number.POSITIVE_INFINITY;

  constructor(
    devices: number,
    readonly startedAt: number,
  ) {
    this.acceptedByDevice = new Uint32Array(devices);
  }

  /** Answers arriving after this instant are outside the window the rates are computed over. */
  closeWindow(at: number): void {
    this.#windowEnd = at;
  }

  record(o: Outcome): void {
    const ms = o.endedAt - o.startedAt;
    this.latencies[o.kind].push(ms);
    this.statuses[o.status] = (this.statuses[o.status] ?? 0) + 1;
    const inWindow = o.endedAt <= this.#windowEnd;
    if (inWindow) this.requestsInWindow += 1;
    if (o.newlyAccepted) {
      this.accepted += 1;
      this.acceptedLatencies.push(ms);
      this.acceptedByDevice[o.device]! += 1;
      if (inWindow) this.acceptedInWindow += 1;
    }
    if (o.status >= 400) {
      const code = o.code ?? `http_${o.status}`;
      if ((o.status === 429 || o.status === 503) && o.retryAfter)
        this.shed[code] = (this.shed[code] ?? 0) + 1;
      else this.errors[code] = (this.errors[code] ?? 0) + 1;
      if (o.status >= 500 && !(o.status === 503 && o.retryAfter)) this.status5xx += 1;
    }
  }

  checkinAnswer(answer: string): void {
    this.checkinAnswers[answer] = (this.checkinAnswers[answer] ?? 0) + 1;
  }

  skip(why: keyof PhaseRecorder["skipped"]): void {
    this.skipped[why] += 1;
  }

  networkError(): void {
    this.networkErrors += 1;
  }
}
