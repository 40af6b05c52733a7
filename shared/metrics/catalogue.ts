/**
 * Every metric fedge records: name, type, unit and meaning. The Prometheus endpoint
 * writes HELP and TYPE from here, docs/operations.md lists it, and recording a metric
 * that is not here is a type error.
 */
import type { Buckets } from "./metric-set";

/** Seconds, from 1 ms to 5 min: request handling to end-to-end latency. */
export const SECONDS_BUCKETS: Buckets = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];
/** Fractions in [0, 1]. */
export const RATIO_BUCKETS: Buckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
/** Bytes, from 64 KiB to 1 GiB. */
export const BYTES_BUCKETS: Buckets = [
  65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864, 268_435_456, 1_073_741_824,
];
/** Counts per batch. */
export const COUNT_BUCKETS: Buckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

interface Counter {
  type: "counter";
  help: string;
}
interface Histogram {
  type: "histogram";
  help: string;
  buckets: Buckets;
}

export const CATALOGUE = {
  fedge_updates_accepted_total: {
    type: "counter",
    help: "Device updates acknowledged (202) by a cluster.",
  },
  fedge_updates_refused_total: {
    type: "counter",
    help: "Device updates a cluster refused before acknowledging them, by error code.",
  },
  fedge_updates_clipped_total: {
    type: "counter",
    help: "Accepted updates whose L2 norm was clipped to the task's bound.",
  },
  fedge_payload_bytes_total: {
    type: "counter",
    help: "Payload bytes of accepted updates, as stored (after inflating).",
  },
  fedge_dense_bytes_total: {
    type: "counter",
    help: "What the accepted updates would have taken as dense f32 (4 bytes per parameter).",
  },
  fedge_shed_total: {
    type: "counter",
    help: "Requests refused to shed load, by tier and reason (rate_limited, overloaded, …), each with a Retry-After.",
  },
  fedge_retry_after_seconds: {
    type: "histogram",
    help: "Retry-After values issued with shed requests.",
    buckets: SECONDS_BUCKETS,
  },
  fedge_stage_duration_seconds: {
    type: "histogram",
    help: "Time spent per stage: edge (from the edge receiving an upload to its cluster starting on it), cluster_ingest (a cluster accepting an update), in_cluster (an update's wait before its batch was acknowledged upstream), flush (a tier's delivery to its parent), region (a partial's wait in its region), coordinator_apply (an optimizer step and publication), end_to_end (acknowledgement to published version).",
    buckets: SECONDS_BUCKETS,
  },
  fedge_object_storage_bytes: {
    type: "histogram",
    help: "A tier object's SQLite size when it seals a batch, by tier (one observation per batch).",
    buckets: BYTES_BUCKETS,
  },
  fedge_accumulator_bytes: {
    type: "histogram",
    help: "Memory a tier object's running sums hold when it seals a batch, by tier.",
    buckets: BYTES_BUCKETS,
  },
  fedge_flush_updates: {
    type: "histogram",
    help: "Device updates per flushed batch, by tier.",
    buckets: COUNT_BUCKETS,
  },
  fedge_flush_fill_ratio: {
    type: "histogram",
    help: "At a cluster's flush: active members that had contributed to the newest version ÷ active members.",
    buckets: RATIO_BUCKETS,
  },
  fedge_flushes_total: {
    type: "counter",
    help: "Batches delivered upstream, by tier and outcome (acknowledged, dead_lettered, retrying).",
  },
  fedge_dead_letters_total: {
    type: "counter",
    help: "Device updates dead-lettered: acknowledged, then refused for good upstream.",
  },
  fedge_gaming_detections_total: {
    type: "counter",
    help: "Updates flagged by a gaming detector, by kind.",
  },
  fedge_quarantines_total: {
    type: "counter",
    help: "Devices put in quarantine.",
  },
  fedge_assignment_timeouts_total: {
    type: "counter",
    help: "Assignments that went stale with no update from the device (a timeout in its reputation when trust.detect is on).",
  },
  fedge_versions_published_total: {
    type: "counter",
    help: "Model versions published.",
  },
} as const satisfies Record<string, Counter | Histogram>;

export type MetricName = keyof typeof CATALOGUE;
export type CounterName = {
  [K in MetricName]: (typeof CATALOGUE)[K]["type"] extends "counter" ? K : never;
}[MetricName];
export type HistogramName = {
  [K in MetricName]: (typeof CATALOGUE)[K]["type"] extends "histogram" ? K : never;
}[MetricName];

export function bucketsOf(name: HistogramName): Buckets {
  return CATALOGUE[name].buckets;
}
