/**
 * The simulated clock of `npm run simulate -- --bandwidth mixed`: bandwidth classes dealt
 * to devices from the seed, each device's own clock, and a discrete-event queue that lets
 * one device at a time act, in order of simulated time (ties by device id). Pure: nothing
 * here talks to the service.
 */
import type { Clock } from "../../sdk/core/clock";
import { type Random, shuffle } from "../../sdk/spam/random";

export interface BandwidthClass {
  name: string;
  /** Share of the fleet in this class. */
  share: number;
  uplinkBytesPerSecond: number;
  /** Round trip of every request, seconds. */
  rttSeconds: number;
  /** What the device's platform reports as its link type. */
  networkType: "cellular" | "wifi";
}

/** Issue 11's heterogeneous links: 10% at 100 kbit/s, 60% at 5 Mbit/s, 30% at 50 Mbit/s. */
export const MIXED_CLASSES: readonly BandwidthClass[] = [
  { name: "100 kbit/s", share: 0.1, uplinkBytesPerSecond: 12_500, rttSeconds: 0.4, networkType: "cellular" },
  { name: "5 Mbit/s", share: 0.6, uplinkBytesPerSecond: 625_000, rttSeconds: 0.1, networkType: "cellular" },
  { name: "50 Mbit/s", share: 0.3, uplinkBytesPerSecond: 6_250_000, rttSeconds: 0.03, networkType: "wifi" },
];

/**
 * The class of each of `n` devices: each class gets its share of n (largest remainder, so
 * the counts sum to n), and the list is shuffled with `random`.
 */
export function assignClasses(n: number, classes: readonly BandwidthClass[], random: Random): number[] {
  const exact = classes.map((c) => c.share * n);
  const counts = exact.map(Math.floor);
  const byRemainder = exact
    .map((x, i) => ({ i, r: x - Math.floor(x) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; counts.reduce((s, c) => s + c, 0) < n; k++)
    counts[byRemainder[k % classes.length]!.i]! += 1;
  return shuffle(
    counts.flatMap((c, i) => Array.from({ length: c }, () => i)),
    random,
  );
}

/**
 * One device's time, in simulated seconds since the start. As the SDK's clock, `now` is
 * milliseconds since the epoch (`epochMs` + simulated time) and `sleep` passes simulated
 * time instantly.
 */
export class DeviceClock implements Clock {
  seconds = 0;
  constructor(private readonly epochMs: number) {}
  now = (): number => this.epochMs + 1000 * this.seconds;
  sleep = async (ms: number): Promise<void> => {
    this.advance(ms / 1000);
  };
  advance(seconds: number): void {
    if (seconds > 0) this.seconds += seconds;
  }
}

interface Pending {
  seconds: number;
  id: number;
  resume: () => void;
}

/** `a` goes before `b`: earlier, or as early with the smaller id. */
const before = (a: Pending, b: Pending) => a.seconds < b.seconds || (a.seconds === b.seconds && a.id < b.id);

/**
 * A discrete-event queue over processes (one per device). A process calls `at(id, t)` to
 * act at simulated time t: the promise resolves when every earlier action is done, and
 * only one process runs at a time, until its next `at` or `leave`. `run` drives it,
 * calling `between` after each action (e.g. to look at the service) at the time of that
 * action; `stop` releases everyone still waiting.
 */
export class EventQueue {
  #heap: Pending[] = [];
  #now = 0;
  #running: number | null = null;
  #started = false;
  #stopped = false;
  #idle: (() => void) | null = null;

  /** The simulated time of the action under way (or the last one). */
  get now(): number {
    return this.#now;
  }
  get started(): boolean {
    return this.#started;
  }
  get stopped(): boolean {
    return this.#stopped;
  }
  get pending(): number {
    return this.#heap.length;
  }

  at(id: number, seconds: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resume) => {
      this.#push({ seconds: Math.max(seconds, this.#now), id, resume });
      this.#yield(id);
    });
  }

  /** Process `id` ended. */
  leave(id: number): void {
    this.#yield(id);
  }

  /**
   * Runs actions in order until `between` answers false or nobody waits. `between(now)`
   * runs with no process running.
   */
  async run(between: (now: number) => Promise<boolean>): Promise<void> {
    this.#started = true;
    for (;;) {
      if (this.#running !== null) await new Promise<void>((r) => (this.#idle = r));
      this.#idle = null;
      if (!(await between(this.#now))) return;
      const next = this.#pop();
      if (!next) return;
      this.#now = next.seconds;
      this.#running = next.id;
      next.resume();
    }
  }

  /** Resumes every waiting process at once; `at` resolves at once from now on. */
  stop(): void {
    this.#stopped = true;
    this.#running = null;
    for (const p of this.#heap.splice(0)) p.resume();
  }

  #yield(id: number): void {
    if (this.#running !== id) return;
    this.#running = null;
    this.#idle?.();
  }

  #push(p: Pending): void {
    const h = this.#heap;
    h.push(p);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Pending | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** When the first version at or above `target` accuracy was published; null if none was. */
export function timeToTarget(points: readonly { seconds: number; accuracy: number }[], target: number) {
  return points.find((p) => p.accuracy >= target)?.seconds ?? null;
}

export interface LevelAssignment {
  seconds: number;
  /** Index into the classes. */
  cls: number;
  density: number;
  bits: number;
}

export interface LevelBin {
  /** The bin's middle, simulated seconds. */
  seconds: number;
  medianDensity: number;
  /** The most frequent bits in the bin (the smaller on a tie). */
  bits: number;
  count: number;
}

/** Per class, the median density and usual bits assigned in each `binSeconds` bin (empty bins left out). */
export function levelBins(
  assignments: readonly LevelAssignment[],
  classes: number,
  binSeconds: number,
): LevelBin[][] {
  return Array.from({ length: classes }, (_, cls) => {
    const bins = new Map<number, LevelAssignment[]>();
    for (const a of assignments) {
      if (a.cls !== cls) continue;
      const b = Math.floor(a.seconds / binSeconds);
      bins.set(b, [...(bins.get(b) ?? []), a]);
    }
    return [...bins.entries()]
      .sort(([a], [b]) => a - b)
      .map(([b, xs]) => {
        const d = xs.map((x) => x.density).sort((p, q) => p - q);
        const mid = d.length >> 1;
        const tally = new Map<number, number>();
        for (const x of xs) tally.set(x.bits, (tally.get(x.bits) ?? 0) + 1);
        const bits = [...tally.entries()].sort(([ba, na], [bb, nb]) => nb - na || ba - bb)[0]![0];
        return {
          seconds: (b + 0.5) * binSeconds,
          medianDensity: d.length % 2 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2,
          bits,
          count: xs.length,
        };
      });
  });
}
