/**
 * The charts' data, derived from the status JSON (and, for what changes between polls, the
 * polls seen so far). Columns as uPlot takes them: x first, then one array per series.
 */
import type { TaskStatus } from "#wire/workers/status";

export type Columns = [number[], ...(number | null)[][]];

export interface Categorical {
  labels: string[];
  columns: Columns;
}

/** Federated evaluation: accuracy and loss of each version devices evaluated. */
export function evaluationByVersion(s: TaskStatus): Columns {
  const evaluated = s.versions.filter((v) => v.accuracy !== null || v.loss !== null);
  return [evaluated.map((v) => v.version), evaluated.map((v) => v.accuracy), evaluated.map((v) => v.loss)];
}

/**
 * Device updates aggregated per second, over time: the span of the listed versions cut in
 * (at most) `intervals` equal intervals of at least a second, each with the updates of the
 * versions published in it per second. x is each interval's end (unix seconds). Versions are
 * published in bursts, so a rate per version (updates ÷ time since the previous one) would
 * swing by orders of magnitude.
 */
export function updatesPerSecondOverTime(s: TaskStatus, intervals = 30): Columns {
  const times = s.versions.map((v) => Date.parse(v.createdAt));
  const start = times[0] ?? 0;
  const span = (times[times.length - 1] ?? 0) - start;
  if (span <= 0) return [[], []];
  const width = Math.max(1000, span / intervals);
  const updates = new Array<number>(Math.ceil(span / width)).fill(0);
  for (let i = 1; i < times.length; i++) {
    const slot = Math.min(updates.length - 1, Math.max(0, Math.ceil((times[i]! - start) / width) - 1));
    updates[slot]! += s.versions[i]!.updates;
  }
  return [updates.map((_, i) => (start + (i + 1) * width) / 1000), updates.map((u) => u / (width / 1000))];
}

/** The path of an update, in order; stages the Worker adds later follow, by name. */
const STAGE_ORDER = [
  "edge",
  "cluster_ingest",
  "in_cluster",
  "flush/cluster",
  "region",
  "flush/region",
  "coordinator_apply",
  "flush/coordinator",
  "end_to_end",
];

export function stagesOf(s: TaskStatus): string[] {
  const rank = (stage: string) => {
    const i = STAGE_ORDER.indexOf(stage);
    return i === -1 ? STAGE_ORDER.length : i;
  };
  return Object.keys(s.latency).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** p99, p95 and p50 per stage, in milliseconds: widest first, as the bars are drawn. */
export function latencyByStage(s: TaskStatus): Categorical {
  const labels = stagesOf(s);
  const ms = (q: "p50" | "p95" | "p99") =>
    labels.map((stage) => {
      const v = s.latency[stage]?.[q];
      return v === null || v === undefined ? null : v * 1000;
    });
  return { labels, columns: [labels.map((_, i) => i), ms("p99"), ms("p95"), ms("p50")] };
}

export interface CompressionPoint {
  /** The status' generatedAt, unix seconds. */
  at: number;
  payloadBytes: number;
  denseBytes: number;
}

/** Appends this poll's totals (once per distinct status), keeping the latest `keep`. */
export function recordCompression(history: CompressionPoint[], s: TaskStatus, keep = 600): void {
  const at = Date.parse(s.generatedAt) / 1000;
  if (history.length > 0 && history[history.length - 1]!.at >= at) return;
  history.push({ at, payloadBytes: s.compression.payloadBytes, denseBytes: s.compression.denseBytes });
  if (history.length > keep) history.splice(0, history.length - keep);
}

/** Bytes sent and what they would have been as dense f32, over the polls seen (0 as null: a log scale). */
export function compressionOverTime(history: CompressionPoint[]): Columns {
  const positive = (n: number) => (n > 0 ? n : null);
  return [
    history.map((p) => p.at),
    history.map((p) => positive(p.denseBytes)),
    history.map((p) => positive(p.payloadBytes)),
  ];
}

export function regionsOf(s: TaskStatus): string[] {
  return Object.keys(s.tree.regions).sort();
}

/** Clusters and registered devices per region. */
export function clustersByRegion(s: TaskStatus): Categorical {
  const labels = regionsOf(s);
  const shape = (r: string) => s.tree.regions[r as keyof TaskStatus["tree"]["regions"]];
  return {
    labels,
    columns: [
      labels.map((_, i) => i),
      labels.map((r) => shape(r)?.clusters ?? null),
      labels.map((r) => shape(r)?.devices ?? null),
    ],
  };
}

const TIER_ORDER = ["cluster", "region", "coordinator"];

export function tiersOf(s: TaskStatus): string[] {
  const rank = (tier: string) => (TIER_ORDER.includes(tier) ? TIER_ORDER.indexOf(tier) : TIER_ORDER.length);
  return Object.keys(s.flushes).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Batches each tier delivered upstream, and the mean device updates in one. */
export function flushesByTier(s: TaskStatus): Categorical {
  const labels = tiersOf(s);
  return {
    labels,
    columns: [
      labels.map((_, i) => i),
      labels.map((t) => s.flushes[t]?.batches ?? null),
      labels.map((t) => s.flushes[t]?.meanUpdates ?? null),
    ],
  };
}

export type IntegrityGroup = "refused" | "shed" | "gaming";

export interface IntegrityCount {
  group: IntegrityGroup;
  key: string;
  value: number;
  /** Where the value is in the status JSON. */
  path: string;
}

/** Updates refused by code, requests shed by reason, gaming detections by kind. */
export function integrityCounts(s: TaskStatus): IntegrityCount[] {
  const group = (name: IntegrityGroup, counts: Record<string, number>, prefix: string) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => ({ group: name, key, value, path: `${prefix}.${key}` }));
  return [
    ...group("refused", s.updates.refused, "updates.refused"),
    ...group("shed", s.shed, "shed"),
    ...group("gaming", s.gaming, "gaming"),
  ];
}

/** One bar series per group, so each group has its colour: null where a category is another group's. */
export function integrityBars(counts: IntegrityCount[]): Categorical {
  const groups: IntegrityGroup[] = ["refused", "shed", "gaming"];
  return {
    labels: counts.map((c) => c.key),
    columns: [
      counts.map((_, i) => i),
      ...groups.map((g) => counts.map((c) => (c.group === g ? c.value : null))),
    ],
  };
}

/** The newest version devices evaluated, and its index in `versions`. */
export function latestEvaluated(s: TaskStatus): { index: number; version: number } | null {
  for (let i = s.versions.length - 1; i >= 0; i--) {
    if (s.versions[i]!.accuracy !== null) return { index: i, version: s.versions[i]!.version };
  }
  return null;
}
