/**
 * The load generators. A closed loop keeps `connections` device steps in flight (the
 * saturation phases: how much can the service take?); an open loop starts device steps
 * at a fixed rate whatever the service does (half load and overload: what happens at a
 * given offered load?). In the open loop each device has at most one request in flight
 * and devices take turns in a fixed order, so every device is offered the same load; a
 * turn that finds its device busy, with nothing new to train on, or honouring a wait is
 * counted as skipped, by reason.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { BareService } from "./bare-service";
import type { Device, Fleet } from "./fleet";
import type { FramePool } from "./frames";
import type { ProcessMeter } from "./proc";
import type { PhaseRecorder } from "./stats";

/** How long a phase waits for its last answers before it reports them as unfinished. */
const STRAGGLER_TIMEOUT_MS = 60_000;

export interface ClosedLoopOptions {
  durationMs: number;
  connections: number;
  /** At most this many device steps started per second (default: as fast as answers come). */
  maxRate?: number | undefined;
  onTick?: (elapsedMs: number) => void;
}

export async function closedLoop(fleet: Fleet, rec: PhaseRecorder, o: ClosedLoopOptions): Promise<void> {
  const t0 = rec.startedAt;
  const end = t0 + o.durationMs;
  rec.closeWindow(end);
  const devices = fleet.devices;
  let cursor = 0;
  const pick = (now: number): Device | null => {
    for (let i = 0; i < devices.length; i++) {
      const d = devices[(cursor + i) % devices.length]!;
      if (fleet.ready(d, now)) {
        cursor = (cursor + i + 1) % devices.length;
        return d;
      }
    }
    return null;
  };
  const worker = async () => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      if (o.maxRate !== undefined && rec.launched >= ((now - t0) / 1000) * o.maxRate) {
        await sleep(2);
        continue;
      }
      const d = pick(now);
      if (!d) {
        await sleep(5);
        continue;
      }
      rec.launched += 1;
      await fleet.step(d, rec);
    }
  };
  await withTicker(o.onTick, t0, Promise.all(Array.from({ length: o.connections }, worker)));
}

export interface OpenLoopOptions {
  /** Device steps started per second, over all well-behaved devices. */
  rate: number;
  durationMs: number;
  /** Sends `factor` × a well-behaved device's rate, and ignores Retry-After; not in the turn order. */
  greedy?: { device: Device; factor: number } | undefined;
  onTick?: (elapsedMs: number) => void;
}

export async function openLoop(fleet: Fleet, rec: PhaseRecorder, o: OpenLoopOptions): Promise<number> {
  const t0 = rec.startedAt;
  const end = t0 + o.durationMs;
  rec.closeWindow(end);
  const order = fleet.devices.filter((d) => d !== o.greedy?.device);
  const inflight = new Set<Promise<void>>();
  const launch = (d: Device, now: number) => {
    const idle = fleet.idle(d, now);
    if (idle !== null) {
      rec.skip(idle);
      return;
    }
    rec.launched += 1;
    const p: Promise<void> = fleet.step(d, rec).finally(() => inflight.delete(p));
    inflight.add(p);
  };
  let k = 0;
  let g = 0;
  const greedyRate = o.greedy ? (o.rate / order.length) * o.greedy.factor : 0;
  const generate = async () => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      const elapsed = (now - t0) / 1000;
      for (const due = Math.floor(elapsed * o.rate); k < due; k++) launch(order[k % order.length]!, now);
      if (o.greedy)
        for (const due = Math.floor(elapsed * greedyRate); g < due; g++) launch(o.greedy.device, now);
      await sleep(1);
    }
  };
  await withTicker(o.onTick, t0, generate());
  return unfinishedAfter(inflight, STRAGGLER_TIMEOUT_MS);
}

export interface BareLoopOptions {
  durationMs: number;
  connections: number;
  maxRate?: number | undefined;
  /** Which Durable Object each device's body goes to: its fedge cluster's index among all clusters. */
  shardOf: (d: Device) => number;
  onTick?: (elapsedMs: number) => void;
}

/** The bare ceiling's closed loop: the same devices and concurrency, one INSERT per request. */
export async function bareLoop(
  bare: BareService,
  devices: Device[],
  frames: FramePool,
  rec: PhaseRecorder,
  o: BareLoopOptions,
): Promise<void> {
  const t0 = rec.startedAt;
  const end = t0 + o.durationMs;
  rec.closeWindow(end);
  let next = 0;
  const worker = async () => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      if (o.maxRate !== undefined && rec.launched >= ((now - t0) / 1000) * o.maxRate) {
        await sleep(2);
        continue;
      }
      const d = devices[next++ % devices.length]!;
      rec.launched += 1;
      const startedAt = performance.now();
      try {
        const res = await bare.fetch(`/ingest/${o.shardOf(d)}`, { method: "POST", body: frames.body() });
        await res.arrayBuffer();
        rec.record({
          kind: "bare",
          device: d.index,
          status: res.status,
          retryAfter: res.headers.has("Retry-After"),
          newlyAccepted: res.status === 202,
          startedAt,
          endedAt: performance.now(),
        });
      } catch {
        rec.networkError();
      }
    }
  };
  await withTicker(o.onTick, t0, Promise.all(Array.from({ length: o.connections }, worker)));
}

/**
 * Resends every update still held by a device (a 503, a 5xx or a dropped connection
 * left it unsettled) until it is settled or `timeoutMs` passes, honouring Retry-After.
 * Returns how many remain unsettled.
 */
export async function drainPending(
  fleet: Fleet,
  rec: PhaseRecorder,
  o: { connections: number; timeoutMs: number },
): Promise<number> {
  const end = performance.now() + o.timeoutMs;
  const held = () => fleet.devices.filter((d) => d.pending !== null);
  while (held().length > 0 && performance.now() < end) {
    const now = performance.now();
    const batch = held()
      .filter((d) => fleet.ready(d, now))
      .slice(0, o.connections);
    if (batch.length === 0) await sleep(50);
    else await Promise.all(batch.map((d) => fleet.step(d, rec)));
  }
  return held().length;
}

/**
 * Waits at least `minMs` (the tiers' flush waits: until then an idle workerd may only be
 * waiting for its alarms), then until the service's workerd is idle (under 5% of a core
 * over 250 ms) or `maxMs` has passed; returns the time waited.
 */
export async function settle(meter: ProcessMeter, minMs: number, maxMs: number): Promise<number> {
  const start = performance.now();
  await sleep(minMs);
  let before = meter.read().cpuMs;
  let at = performance.now();
  while (performance.now() - start < maxMs) {
    await sleep(250);
    const cpu = meter.read().cpuMs;
    const now = performance.now();
    if ((cpu - before) / (now - at) < 0.05) break;
    before = cpu;
    at = now;
  }
  return performance.now() - start;
}

async function withTicker(
  onTick: ((elapsedMs: number) => void) | undefined,
  t0: number,
  work: Promise<unknown>,
): Promise<void> {
  const timer = onTick ? setInterval(() => onTick(performance.now() - t0), 200) : undefined;
  try {
    await work;
  } finally {
    clearInterval(timer);
    onTick?.(Number.POSITIVE_INFINITY); // the bar completes (and ends its line)
  }
}

async function unfinishedAfter(inflight: Set<Promise<void>>, ms: number): Promise<number> {
  const timer = new AbortController();
  const timeout = sleep(ms, "timeout" as const, { signal: timer.signal }).catch(() => "done" as const);
  const done = Promise.all(inflight).then(() => "done" as const);
  const first = await Promise.race([done, timeout]);
  timer.abort();
  return first === "done" ? 0 : inflight.size;
}
