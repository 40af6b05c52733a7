/**
 * Every 202 the devices received against what the service counted. The admin view
 * (GET /v1/admin/tasks/:task) has `totals` — updates in published versions, in the
 * coordinator's open round, in each region aggregator — and `deadLetters.updates`.
 * Updates still inside clusters are in none of them, so the load stops first and the
 * totals are read until they stop changing (clusters and regions flush within the
 * task's waits, retried from alarms); then counted = published + coordinator +
 * Σ regions + dead-lettered, and lostAcked = acked − counted.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Transport } from "./fleet";

export interface Reconciliation {
  ackedUpdates: number;
  countedUpdates: number;
  /** acked − counted, as defined; negative only if something was counted that no device saw acknowledged. */
  lostAcked: number;
  /** Counted but never acknowledged to a device: > 0 would mean counted twice (or an unsent 202). */
  overCounted: number;
  totals: { published: number; coordinator: number; regions: number; deadLettered: number };
  /**
   * The totals had stopped changing when read. The wait ends when they have and match
   * the 202s, or at the timeout: then the figures are the last seen.
   */
  settled: boolean;
  waitedMs: number;
}

interface AdminView {
  totals: { published: number; coordinator: number; regions: Record<string, number> };
  deadLetters: { updates: number };
}

export interface ReconcileOptions {
  task: string;
  adminToken: string;
  acked: number;
  /** The totals must hold still this long (longer than a cluster's plus a region's wait). */
  quietMs: number;
  timeoutMs: number;
}

export async function reconcile(transport: Transport, o: ReconcileOptions): Promise<Reconciliation> {
  const start = performance.now();
  let lastCount = -1;
  let stableSince = start;
  for (;;) {
    const totals = await readTotals(transport, o).catch(() => null);
    const now = performance.now();
    if (totals) {
      const count = totals.published + totals.coordinator + totals.regions + totals.deadLettered;
      if (count !== lastCount) stableSince = now;
      lastCount = count;
      const settled = now - stableSince >= o.quietMs;
      // A mismatch may still resolve: a tier retrying a delivery backs off for seconds.
      if ((settled && count === o.acked) || now - start >= o.timeoutMs) {
        return {
          ackedUpdates: o.acked,
          countedUpdates: count,
          lostAcked: o.acked - count,
          overCounted: Math.max(0, count - o.acked),
          totals,
          settled,
          waitedMs: Math.round(now - start),
        };
      }
    } else if (now - start >= o.timeoutMs) {
      throw new Error("the admin view did not answer while reconciling");
    }
    await sleep(500);
  }
}

async function readTotals(transport: Transport, o: ReconcileOptions): Promise<Reconciliation["totals"]> {
  const res = await transport.fetch(`/v1/admin/tasks/${o.task}`, {
    headers: { Authorization: `Bearer ${o.adminToken}` },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`admin view: ${res.status} ${text}`);
  const view = JSON.parse(text) as AdminView;
  return {
    published: view.totals.published,
    coordinator: view.totals.coordinator,
    regions: Object.values(view.totals.regions).reduce((s, n) => s + n, 0),
    deadLettered: view.deadLetters.updates,
  };
}
