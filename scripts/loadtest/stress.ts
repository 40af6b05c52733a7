/**
 * Stress modes (`--stress`), each run inside the ordinary phases so the same figures and
 * the same reconciliation come out:
 *
 * - evict: the harness entry (./harness-entry.js) resets a cluster or region right after
 *   its parent acknowledged one of its partials, every ABORT_EVERY-th partial (an eviction
 *   mid-flush, in the lost-ack window); and, every EVICT_EVERY_MS, Miniflare evicts a
 *   running cluster or region chosen from the seeded stream (an eviction at any moment).
 * - restart: fedge's workerd is SIGKILLed in the middle of the first saturation phase
 *   and of the overload phase, and started again on the same storage.
 * - slow-parent: the harness entry makes each region take --slow-parent-ms per cluster
 *   partial, one at a time.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { seededRandom } from "../../sdk/spam/random";
import type { Device } from "./fleet";
import type { StressMode } from "./options";
import type { Faults, Services } from "./services";

const ABORT_EVERY = 20;
const EVICT_EVERY_MS = 200;

export interface StressReport {
  mode: StressMode;
  evictions?: { requested: number; evicted: number; notRunning: number; failed: number };
  restarts?: { count: number; downtimeMs: number[] };
  /** What the harness entry injected (GET /__loadtest/faults). */
  injected?: Record<string, number>;
  slowParentMs?: number;
}

export function faultsFor(mode: StressMode | undefined, slowParentMs: number): Faults | undefined {
  if (mode === "evict") return { abortAfterAckEvery: ABORT_EVERY };
  if (mode === "slow-parent") return { slowParentMs };
  return undefined;
}

/** Evicts seeded-random clusters (3 in 4) and regions of the task while started. */
export class Evictor {
  readonly counts = { requested: 0, evicted: 0, notRunning: 0, failed: 0 };
  readonly #clusters: string[];
  readonly #regions: string[];
  readonly #random: () => number;
  #running: Promise<void> | null = null;
  #stop = false;

  constructor(
    readonly services: Services,
    task: string,
    devices: Device[],
    seed: number,
  ) {
    this.#clusters = [...new Set(devices.map((d) => `${task}/${d.region}/c${d.cluster}`))];
    this.#regions = [...new Set(devices.map((d) => `${task}/${d.region}`))];
    this.#random = seededRandom(seed ^ 0x5eed);
  }

  start(): void {
    this.#stop = false;
    this.#running ??= this.#loop().finally(() => {
      this.#running = null;
    });
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stop) {
      const region = this.#random() < 0.25;
      const names = region ? this.#regions : this.#clusters;
      const name = names[Math.floor(this.#random() * names.length)]!;
      this.counts.requested += 1;
      try {
        await this.services.evict(region ? "RegionAggregator" : "ClusterAggregator", name);
        this.counts.evicted += 1;
      } catch (err) {
        if (String(err).includes("not currently running")) this.counts.notRunning += 1;
        else this.counts.failed += 1;
      }
      await sleep(EVICT_EVERY_MS);
    }
  }
}

/** Restarts fedge after `afterMs`, recording the downtime; returns the promise of it. */
export function restartAfter(services: Services, afterMs: number, downtimes: number[]): Promise<void> {
  return sleep(afterMs).then(async () => {
    const start = performance.now();
    await services.restartFedge();
    downtimes.push(Math.round(performance.now() - start));
  });
}

/** The harness entry's fault counters. */
export async function injected(services: Services): Promise<Record<string, number>> {
  const res = await services.fedge.fetch("/__loadtest/faults");
  return (await res.json()) as Record<string, number>;
}
