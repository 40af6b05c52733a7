/**
 * The two services under test, each in its own workerd with Durable Object storage on
 * disk (so disk writes can be read from /proc): fedge, built as for deployment with the
 * load test's harness as its entry (./harness-entry.js: SQLite rows written, and the evict
 * and slow-parent stress modes' faults), and the bare ceiling. fedge can be killed (SIGKILL to its workerd) and started again on the same
 * storage; devices reach it through one transport that always points at the live one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LocalService, type LocalServiceOptions, startLocalService } from "../local-service";
import { type BareService, startBareService } from "./bare-service";
import type { Transport } from "./fleet";
import { childWorkerdPids, ProcessMeter } from "./proc";

export interface Faults {
  abortAfterAckEvery?: number;
  slowParentMs?: number;
}

/** SQLite rows fedge's Durable Objects wrote since its workerd started, by tier (GET /__loadtest/rows). */
export type RowsWritten = Record<"cluster" | "region" | "coordinator" | "directory", number>;

export interface Services {
  fedge: Transport;
  /** The rows fedge's workerd has written so far (counted by the harness entry); null if it does not answer. */
  fedgeRows(): Promise<RowsWritten | null>;
  adminToken: string;
  fedgeMeter: ProcessMeter;
  bare: BareService;
  bareMeter: ProcessMeter;
  /** Evicts one of fedge's running Durable Objects (Miniflare's test-only eviction). */
  evict(className: string, name: string): Promise<void>;
  /** With `inspector`: the DevTools WebSocket of the live fedge's isolate. */
  fedgeInspectorUrl(): string | undefined;
  /** SIGKILLs fedge's workerd and starts a new one on the same storage; resolves when it answers. */
  restartFedge(): Promise<void>;
  dispose(): Promise<void>;
}

const OUTDIR = ".wrangler/loadtest";

/**
 * `project`: the fedge checkout to build and serve (--ref's export, or this one);
 * `inspector`: open fedge's workerd inspector (--profile).
 */
export async function startServices(
  faults: Faults | undefined,
  project = ".",
  inspector = false,
): Promise<Services> {
  const root = mkdtempSync(join(tmpdir(), "fedge-loadtest-"));
  const fedgeOptions: LocalServiceOptions = {
    root: project,
    outdir: OUTDIR,
    persistDir: join(root, "fedge"),
    tokenSecret: crypto.randomUUID(),
    inspector,
    entry: fileURLToPath(new URL("./harness-entry.js", import.meta.url)),
    ...(faults ? { bindings: { LOADTEST_FAULTS: JSON.stringify(faults) } } : {}),
  };
  const fedgeMeter = new ProcessMeter();
  const bareMeter = new ProcessMeter();
  let fedge: LocalService;
  let bare: BareService;
  try {
    fedge = await started(() => startLocalService(fedgeOptions), fedgeMeter);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  try {
    bare = await started(() => startBareService(join(root, "bare")), bareMeter);
  } catch (err) {
    await fedge.dispose();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    fedge: { fetch: (path, init) => fedge.fetch(path, init) },
    fedgeRows: async () => {
      try {
        return (await (await fedge.fetch("/__loadtest/rows")).json()) as RowsWritten;
      } catch {
        return null; // not answering (restarting): this phase's rows are unknown
      }
    },
    adminToken: fedge.adminToken,
    fedgeMeter,
    bare,
    bareMeter,
    evict: (className, name) => fedge.evict(className, name),
    fedgeInspectorUrl: () => fedge.inspectorUrl,
    restartFedge: async () => {
      const old = fedge;
      for (const pid of fedgeMeter.pids) {
        fedgeMeter.retire(pid);
        process.kill(pid, "SIGKILL");
      }
      await old.dispose().catch(() => {});
      fedge = await started(() => startLocalService({ ...fedgeOptions, skipBuild: true }), fedgeMeter);
    },
    dispose: async () => {
      await Promise.allSettled([fedge.dispose(), bare.dispose()]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Starts a service and attaches the workerd processes it spawned to `meter`. */
async function started<T extends LocalService | BareService>(start: () => Promise<T>, meter: ProcessMeter) {
  const before = new Set(childWorkerdPids());
  const service = await start();
  const spawned = childWorkerdPids().filter((pid) => !before.has(pid));
  if (spawned.length === 0) throw new Error("could not find the workerd process the service started");
  for (const pid of spawned) meter.attach(pid);
  return service;
}
