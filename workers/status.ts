/**
 * The task's status, as the dashboard and `GET /v1/tasks/:task/status` show it, computed
 * at the edge from the coordinator's monitoring snapshot: the metrics every tier carried
 * up with its flushes (shared/metrics), the latest versions and their evaluations, and
 * the shape of each region.
 */

import type { RegionShape } from "../durable-objects/directory";
import type { MonitoringSnapshot } from "../durable-objects/task-types";
import { bucketsOf } from "../shared/metrics/catalogue";
import { type HistogramData, merge, parseSeriesKey, quantile } from "../shared/metrics/metric-set";
import type { Region } from "../shared/regions";

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

export interface TaskStatus {
  task: string;
  generatedAt: string;
  model: { version: number; createdAt: string; updates: number };
  round: { round: number; updates: number; deadlineAt: number };
  /** Oldest first. Accuracy and loss are the example-weighted federated evaluation, when devices reported. */
  versions: {
    version: number;
    createdAt: string;
    updates: number;
    accuracy: number | null;
    loss: number | null;
  }[];
  /** Device updates per second over the listed versions' span; null before two versions. */
  updatesPerSecond: number | null;
  updates: { accepted: number; refused: Record<string, number>; clipped: number; deadLettered: number };
  /** Seconds, per stage (and tier, for flushes: `flush/cluster`). */
  latency: Record<string, Percentiles>;
  compression: { payloadBytes: number; denseBytes: number; ratio: number | null; bytesSaved: number };
  flushes: Record<string, { batches: number; meanUpdates: number | null }>;
  fillRatio: Percentiles;
  shed: Record<string, number>;
  gaming: Record<string, number>;
  quarantines: number;
  tree: { depth: number; regions: Partial<Record<Region, RegionShape>> };
}

/** edge → cluster → region → coordinator, without inner levels in any region's tree. */
export const TREE_DEPTH = 3;

export function taskStatus(snapshot: MonitoringSnapshot, now = Date.now()): TaskStatus {
  const { metrics, view } = snapshot;
  const counters = (name: string) =>
    Object.entries(metrics.counters).flatMap(([key, value]) => {
      const series = parseSeriesKey(key);
      return series.name === name ? [{ labels: series.labels, value }] : [];
    });
  const total = (name: string) => counters(name).reduce((s, c) => s + c.value, 0);
  const byLabel = (name: string, label: string) => {
    const out: Record<string, number> = {};
    for (const c of counters(name)) {
      const k = c.labels[label] ?? "unknown";
      out[k] = (out[k] ?? 0) + c.value;
    }
    return out;
  };
  const histograms = (
    name: "fedge_stage_duration_seconds" | "fedge_flush_updates" | "fedge_flush_fill_ratio",
  ) => {
    const grouped: Record<string, HistogramData> = {};
    for (const [key, h] of Object.entries(metrics.histograms)) {
      const series = parseSeriesKey(key);
      if (series.name !== name) continue;
      const { stage, tier } = series.labels;
      const group =
        name === "fedge_stage_duration_seconds"
          ? stage === "flush"
            ? `flush/${tier}`
            : (stage ?? "")
          : (tier ?? "");
      grouped[group] = merge(
        { counters: {}, histograms: { h: grouped[group] ?? emptyHistogram(h) } },
        { counters: {}, histograms: { h } },
      ).histograms.h!;
    }
    return grouped;
  };
  const percentiles = (h: HistogramData | undefined, buckets: readonly number[]): Percentiles => ({
    p50: h ? finite(quantile(h, buckets, 0.5)) : null,
    p95: h ? finite(quantile(h, buckets, 0.95)) : null,
    p99: h ? finite(quantile(h, buckets, 0.99)) : null,
    count: h?.count ?? 0,
  });

  const evaluations = new Map(snapshot.evaluations.map((e) => [e.version, e]));
  const versions = [...snapshot.versions].reverse().map((v) => ({
    version: v.version,
    createdAt: v.createdAt,
    updates: v.updates,
    accuracy: evaluations.get(v.version)?.accuracy ?? null,
    loss: evaluations.get(v.version)?.loss ?? null,
  }));
  const spanSeconds =
    versions.length >= 2
      ? (Date.parse(versions[versions.length - 1]!.createdAt) - Date.parse(versions[0]!.createdAt)) / 1000
      : 0;
  const payloadBytes = total("fedge_payload_bytes_total");
  const denseBytes = total("fedge_dense_bytes_total");
  const flushUpdates = histograms("fedge_flush_updates");
  const stages = histograms("fedge_stage_duration_seconds");

  return {
    task: view.task.id,
    generatedAt: new Date(now).toISOString(),
    model: { version: view.model.version, createdAt: view.model.createdAt, updates: view.model.updates },
    round: { round: view.round.round, updates: view.round.updates, deadlineAt: view.round.deadlineAt },
    versions,
    updatesPerSecond:
      spanSeconds > 0 ? versions.slice(1).reduce((s, v) => s + v.updates, 0) / spanSeconds : null,
    updates: {
      accepted: total("fedge_updates_accepted_total"),
      refused: byLabel("fedge_updates_refused_total", "code"),
      clipped: total("fedge_updates_clipped_total"),
      deadLettered: snapshot.deadLetteredUpdates,
    },
    latency: Object.fromEntries(
      Object.entries(stages).map(([stage, h]) => [
        stage,
        percentiles(h, bucketsOf("fedge_stage_duration_seconds")),
      ]),
    ),
    compression: {
      payloadBytes,
      denseBytes,
      ratio: payloadBytes > 0 ? denseBytes / payloadBytes : null,
      bytesSaved: denseBytes - payloadBytes,
    },
    flushes: Object.fromEntries(
      Object.entries(flushUpdates).map(([tier, h]) => [
        tier,
        { batches: h.count, meanUpdates: h.count > 0 ? h.sum / h.count : null },
      ]),
    ),
    fillRatio: percentiles(histograms("fedge_flush_fill_ratio")[""], bucketsOf("fedge_flush_fill_ratio")),
    shed: byLabel("fedge_shed_total", "reason"),
    gaming: byLabel("fedge_gaming_detections_total", "kind"),
    quarantines: total("fedge_quarantines_total"),
    tree: {
      depth: TREE_DEPTH + Math.max(0, ...Object.values(snapshot.regions).map((r) => r?.innerLevels ?? 0)),
      regions: snapshot.regions,
    },
  };
}

function emptyHistogram(like: HistogramData): HistogramData {
  return { counts: like.counts.map(() => 0), sum: 0, count: 0 };
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
