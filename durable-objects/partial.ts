import type { MetricSet } from "../shared/metrics/metric-set";
import type { CodecId } from "../shared/protocol/frame";
import type { DeviceCounts } from "./storage/aggregation-log";

/** What one tier sends its parent when it flushes, and what comes back. */
export interface PartialEnvelope {
  /** The sending object's name: the parent's de-duplication key together with seq. */
  child: string;
  /**
   * The sender's height in its region's tree: 0 for a cluster, ℓ for an inner node of level ℓ
   * (absent: 0). A node's children all have one height, so hearing from one of another height
   * tells a node the tree was re-shaped under it.
   */
  level?: number;
  /** Increases by one per batch; a parent merges each (child, seq) once. */
  seq: number;
  /** Σ nᵢ over the device updates inside. */
  weight: number;
  /** Number of device updates inside. */
  count: number;
  /** Updates per device inside, for a task that accounts for privacy (PartialAggregate.devices in storage/aggregation-log.ts). */
  devices: DeviceCounts | null;
  /** The newest model version the sender had seen when it sealed the batch: the round it reports on. */
  version: number;
  /**
   * Σ s(τᵢ)·nᵢ·cᵢ·Δᵢ (staleness weight s, clipping factor c) as a raw payload that decodes
   * to it exactly: sparse-f32 while the sum has few nonzeros, dense-f32 past the crossover
   * (encodeExact in shared/codecs/encoder.ts).
   */
  codec: CodecId;
  payload: Uint8Array;
  /** When the oldest device update inside was acknowledged (ms since epoch). */
  firstAt: number;
  /** The sender's metrics (and its subtree's) since its previous batch: metrics ride the tree. */
  metrics: MetricSet;
}

export interface PartialAck {
  /** False when the parent already had this (child, seq): the earlier ack was lost. */
  merged: boolean;
}
