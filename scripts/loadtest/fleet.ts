/**
 * The simulated devices and the one protocol loop they all run (docs/protocol.md):
 * register once; check in; on `train`, upload one frame for the assigned base version;
 * check in again for the next version. Answers are handled as a well-behaved client
 * must: a 202 (also a resend's receipt) settles the update; 409s drop it; 429/503 with
 * Retry-After keep it and wait as told (bounded, with jitter from the device's seeded
 * stream); other 5xx and network errors keep it and back off; a kept frame is resent
 * unchanged (same update id), so the service can recognise it.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { type Random, seededRandom } from "../../sdk/spam/random";
import type { Region } from "../../shared/regions";
import type { FramePool, Upload } from "./frames";
import type { PhaseRecorder, RequestKind } from "./stats";

export interface Transport {
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Retry-After is honoured up to this long (a test phase lasts seconds, not hours). */
const MAX_RETRY_AFTER_MS = 30_000;
/** Waits are stretched by up to this fraction, from the device's seeded stream. */
const JITTER = 0.2;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 8_000;

export interface Device {
  index: number;
  id: string;
  token: string;
  /** The device's own client address (CF-Connecting-IP), 10.x.y.z from its index. */
  address: string;
  region: Region;
  cluster: number;
  random: Random;
  /** Sends at its own pace and ignores Retry-After (the overload phase's greedy device). */
  greedy: boolean;
  busy: boolean;
  /** A version assigned at check-in and not yet used. */
  assigned: number | null;
  /** An update sent but not yet settled (202 or a 4xx): resent as is. */
  pending: Upload | null;
  knownVersion: number;
  /** Not before this instant (performance.now()), unless a newer version is known and it waits for one. */
  notBefore: number;
  waitingForVersion: boolean;
  failures: number;
}

interface Answer {
  status: number;
  code: string | undefined;
  retryAfterMs: number | null;
  body: unknown;
  startedAt: number;
  endedAt: number;
}

export class Fleet {
  readonly acked = new Set<string>();
  /** The newest model version any device (or the version watcher) has heard of. */
  version = 0;

  constructor(
    readonly task: string,
    readonly devices: Device[],
    readonly frames: FramePool,
    readonly transport: Transport,
  ) {}

  /** Whether `d` would send something now. */
  ready(d: Device, now: number): boolean {
    return this.idle(d, now) === null;
  }

  /**
   * Why `d` would not send now: a request in flight, nothing new to train on (it has
   * contributed to the newest version it knows of), or a wait it was told to honour.
   */
  idle(d: Device, now: number): "busy" | "noVersion" | "waiting" | null {
    if (d.busy) return "busy";
    if (d.greedy || now >= d.notBefore) return null;
    if (d.waitingForVersion) return this.version > d.knownVersion ? null : "noVersion";
    return "waiting";
  }

  /** One device action: a check-in if it has nothing to send, then its upload if it has one. */
  async step(d: Device, rec: PhaseRecorder): Promise<void> {
    d.busy = true;
    try {
      if (!d.pending && d.assigned === null && !(await this.#checkin(d, rec))) return;
      if (!d.pending && d.assigned !== null) {
        d.pending = this.frames.upload(d.id, d.random, d.assigned, 1);
      }
      if (d.pending) await this.#upload(d, d.pending, rec);
    } finally {
      d.busy = false;
    }
  }

  async #checkin(d: Device, rec: PhaseRecorder): Promise<boolean> {
    const a = await this.#send(d, rec, `/v1/tasks/${this.task}/checkin`, { method: "POST" });
    if (!a) return false;
    rec.record(outcome("checkin", d, a, false));
    if (a.status !== 200) {
      this.#settleFailure(d, a);
      return false;
    }
    d.failures = 0;
    const body = a.body as {
      action: "train" | "wait";
      reason?: string;
      retryAfterSeconds?: number;
      model?: { version: number };
      upload?: { baseVersion: number };
    };
    rec.checkinAnswer(body.action === "wait" ? `wait:${body.reason}` : body.action);
    const version = body.model?.version ?? body.upload?.baseVersion ?? d.knownVersion;
    d.knownVersion = Math.max(d.knownVersion, version);
    this.version = Math.max(this.version, version);
    if (body.action === "train" && body.upload) {
      d.assigned = body.upload.baseVersion;
      d.waitingForVersion = false;
      return true;
    }
    // `assigned`: this version is done here; it comes back when a newer one is known
    // (a stand-in for a push notification) or when told, whichever is first.
    d.waitingForVersion = body.reason === "assigned";
    this.#wait(d, (body.retryAfterSeconds ?? 1) * 1000);
    return false;
  }

  async #upload(d: Device, upload: Upload, rec: PhaseRecorder): Promise<void> {
    const a = await this.#send(d, rec, `/v1/tasks/${this.task}/updates`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: upload.frame,
    });
    if (!a) return;
    const fresh = a.status === 202 && !this.acked.has(upload.key);
    rec.record(outcome("upload", d, a, fresh));
    if (a.status === 202) {
      this.acked.add(upload.key);
      d.pending = null;
      d.assigned = null;
      d.failures = 0;
      // One update per version: nothing to do until the next one is out.
      d.knownVersion = Math.max(d.knownVersion, baseVersionOf(upload));
      d.waitingForVersion = true;
      d.notBefore = performance.now() + MAX_RETRY_AFTER_MS * (1 + JITTER * d.random());
    } else if (a.status >= 400 && a.status < 500 && a.status !== 429) {
      // Refused for good (409 stale/duplicate/not assigned, 4xx): drop it, check in again.
      d.pending = null;
      d.assigned = null;
    } else {
      this.#settleFailure(d, a);
    }
  }

  async #send(d: Device, rec: PhaseRecorder, path: string, init: RequestInit): Promise<Answer | null> {
    const startedAt = performance.now();
    try {
      const res = await this.transport.fetch(path, {
        ...init,
        headers: { ...init.headers, Authorization: `Bearer ${d.token}`, "CF-Connecting-IP": d.address },
      });
      const text = await res.text();
      return answer(res, text, startedAt);
    } catch {
      // Connection refused or reset (a restarting workerd): nothing was acknowledged.
      rec.networkError();
      d.failures += 1;
      this.#backoff(d);
      return null;
    }
  }

  #settleFailure(d: Device, a: Answer): void {
    if ((a.status === 429 || a.status === 503) && a.retryAfterMs !== null) {
      d.waitingForVersion = false;
      this.#wait(d, a.retryAfterMs);
      return;
    }
    d.failures += 1;
    this.#backoff(d);
  }

  /** Honours a wait the service asked for: bounded, stretched by seeded jitter. */
  #wait(d: Device, ms: number): void {
    if (d.greedy) return;
    d.notBefore = performance.now() + Math.min(ms, MAX_RETRY_AFTER_MS) * (1 + JITTER * d.random());
  }

  /** Exponential backoff after a 5xx without Retry-After or a network error. */
  #backoff(d: Device): void {
    if (d.greedy) return;
    const ms = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, d.failures - 1));
    d.notBefore = performance.now() + ms * (1 + JITTER * d.random());
  }
}

/** The base version field of a frame (docs/protocol.md, update frame header, bytes 16–19). */
function baseVersionOf(upload: Upload): number {
  return new DataView(upload.frame.buffer, upload.frame.byteOffset).getUint32(16, true);
}

function outcome(kind: RequestKind, d: Device, a: Answer, newlyAccepted: boolean) {
  return {
    kind,
    device: d.index,
    status: a.status,
    code: a.code,
    retryAfter: a.retryAfterMs !== null,
    newlyAccepted,
    startedAt: a.startedAt,
    endedAt: a.endedAt,
  };
}

function answer(res: Response, text: string, startedAt: number): Answer {
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: only the status counts.
  }
  const code = (body as { error?: { code?: string } } | null)?.error?.code;
  return {
    status: res.status,
    code,
    retryAfterMs: parseRetryAfter(res.headers.get("Retry-After")),
    body,
    startedAt,
    endedAt: performance.now(),
  };
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms; null when absent or invalid. */
export function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

export interface RegisterOptions {
  task: string;
  devices: number;
  regions: Region[];
  connections: number;
  seed: number;
  onProgress?: (done: number) => void;
}

/**
 * Each device sends from its own address (CF-Connecting-IP), as a fleet of phones would: registrations are limited per client address, and one
 * address for the whole fleet would measure that limit instead of the service.
 */
const addressOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

async function registerOne(transport: Transport, task: string, region: Region, address: string) {
  for (let attempt = 1; ; attempt++) {
    const res = await transport.fetch(`/v1/tasks/${task}/devices`, {
      method: "POST",
      headers: { "X-Fedge-Region": region, "CF-Connecting-IP": address },
    });
    const text = await res.text();
    const wait = parseRetryAfter(res.headers.get("Retry-After"));
    if ((res.status !== 429 && res.status !== 503) || wait === null || attempt === 5)
      return { status: res.status, text };
    await sleep(Math.min(wait, MAX_RETRY_AFTER_MS));
  }
}

/** Registers every device, `connections` at a time, each in its region (X-Fedge-Region). */
export async function registerDevices(transport: Transport, o: RegisterOptions): Promise<Device[]> {
  const devices: Device[] = new Array(o.devices);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < o.devices; i = next++) {
      const region = o.regions[i % o.regions.length]!;
      const address = addressOf(i);
      const { status, text } = await registerOne(transport, o.task, region, address);
      if (status !== 201) throw new Error(`registering device ${i}: ${status} ${text}`);
      const body = JSON.parse(text) as { deviceId: string; token: string; region: Region; cluster: number };
      devices[i] = {
        index: i,
        id: body.deviceId,
        token: body.token,
        address,
        region: body.region,
        cluster: body.cluster,
        // One stream per device: its jitter and update ids do not depend on the others' timing.
        random: seededRandom((o.seed * 1_000_003 + i) >>> 0),
        greedy: false,
        busy: false,
        assigned: null,
        pending: null,
        knownVersion: 0,
        notBefore: 0,
        waitingForVersion: false,
        failures: 0,
      };
      o.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.connections, o.devices) }, worker));
  return devices;
}
