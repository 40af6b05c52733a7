/**
 * The server optimizer's state in the coordinator's storage: the step count in its
 * metadata, each moment vector in 1 MiB chunks (rows hold ≤ 2 MB), written in the same
 * transaction that publishes the version, so an eviction between steps changes nothing.
 */
import { initialState, type OptimizerState, type ServerOptimizer } from "../../shared/aggregation/index";
import type { BlobStore } from "./blob-store";
import type { Meta } from "./meta";

/** A fresh copy of the persisted state, so a failed publication leaves the stored state untouched. */
export function loadOptimizerState(
  meta: Meta,
  blobs: BlobStore,
  optimizer: ServerOptimizer,
  dim: number,
): OptimizerState {
  const saved = meta.get<{ kind: string; step: number }>("optimizer");
  if (!saved || saved.kind !== optimizer.kind) return initialState(optimizer, dim);
  const state: OptimizerState = { step: saved.step, slots: {} };
  for (const name of optimizer.slots) {
    const bytes = blobs.get(`optimizer:${name}`);
    // A rollback resets the moments: a missing slot after a saved step is a fresh start.
    if (!bytes) return { ...initialState(optimizer, dim), step: saved.step };
    if (bytes.byteLength !== dim * 4) throw new Error(`optimizer slot ${name} has the wrong size`);
    state.slots[name] = new Float32Array(bytes.buffer, bytes.byteOffset, dim).slice();
  }
  return state;
}

export function saveOptimizerState(
  meta: Meta,
  blobs: BlobStore,
  optimizer: ServerOptimizer,
  state: OptimizerState,
): void {
  meta.set("optimizer", { kind: optimizer.kind, step: state.step });
  for (const name of optimizer.slots) {
    const values = state.slots[name] as Float32Array;
    blobs.put(`optimizer:${name}`, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
}

/** Forgets the moments and the step count (a rollback). */
export function resetOptimizerState(meta: Meta, blobs: BlobStore, optimizer: ServerOptimizer): void {
  meta.set("optimizer", { kind: optimizer.kind, step: 0 });
  for (const name of optimizer.slots) blobs.delete(`optimizer:${name}`);
}
