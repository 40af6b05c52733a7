/** The load test's task on fedge, its regions, and the version watcher the devices listen to. */
import { setTimeout as sleep } from "node:timers/promises";
import { REGIONS, type Region } from "../../shared/regions";
import { flatModel } from "../../test/fixtures";
import type { Fleet, Transport } from "./fleet";
import type { LoadtestOptions } from "./options";

export const TASK = "loadtest";
/** Clusters flush within this long of their first buffered update, regions within half of it. */
export const FLUSH_SECONDS = 0.5;

/** The coordinator's region first, then the others in the protocol's order. */
export function pickRegions(n: number): Region[] {
  return ["enam" as const, ...REGIONS.filter((r) => r !== "enam")].slice(0, n);
}

/**
 * Creates the task; returns its layout hash. FedBuff (async, Nguyen et al. 2022) so
 * versions advance continuously: a step every --buffer updates, clusters of 10, no
 * clipping (the frames are random, not trained), the compression the frames use.
 * A device may send one update per version, so it has something to send at each of its
 * turns only if versions come faster than its turns: at the overload phase's rate a
 * device's turn comes every devices / (5 × max) s and a version every K / max s, hence
 * the default K = devices / 10 (FedBuff itself uses K = 10 with up to 1,000 clients).
 */
export async function createTask(
  transport: Transport,
  adminToken: string,
  o: LoadtestOptions,
): Promise<string> {
  const res = await transport.fetch(`/v1/admin/tasks/${TASK}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      model: flatModel(o.params),
      aggregation: { mode: "async", bufferSize: o.buffer, flushSeconds: FLUSH_SECONDS },
      clusters: { targetSize: 10 },
      limits: { clipping: { kind: "off" } },
      compression: { density: o.density, bits: o.bits },
    }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`creating the task: ${res.status} ${text}`);
  return (JSON.parse(text) as { task: { layoutHash: string } }).task.layoutHash;
}

/**
 * Reads the current model version every half second (the manifest, from the edge's task
 * view), so devices that have had this version check in again as soon as the next is
 * out — a stand-in for a push notification. Returns its stop function.
 */
export function watchVersion(fleet: Fleet, transport: Transport, adminToken: string): () => void {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      try {
        const res = await transport.fetch(`/v1/tasks/${TASK}/model`, {
          headers: { Authorization: `Bearer ${adminToken}` },
        });
        const body = (await res.json()) as { version?: number };
        if (typeof body.version === "number") fleet.version = Math.max(fleet.version, body.version);
      } catch {
        // Restarting or busy: try again on the next tick.
      }
      await sleep(500);
    }
  };
  loop().catch((err) => console.error("version watcher:", err));
  return () => {
    stopped = true;
  };
}
