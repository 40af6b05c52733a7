/**
 * Metrics that ride the aggregation tree: counters and fixed-bucket histograms as plain,
 * JSON-serialisable data that add up. Each tier records into its own set, carries the
 * set up with the batch it flushes, and the parent adds it to its own — exactly once,
 * since it merges each (child, seq) once — so the coordinator holds the task's totals
 * without asking any object below it. Names and labels follow Prometheus' conventions
 * (./catalogue.ts lists every metric).
 */

/** Histogram bucket upper bounds (`le`), in the metric's unit; +Inf is implicit. */
export type Buckets = readonly number[];

export interface HistogramData {
  /** Cumulative-free counts: counts[i] observations in (bounds[i−1], bounds[i]]; the last is (bounds[n−1], +Inf). */
  counts: number[];
  sum: number;
  count: number;
}

/** Series by key: `name` or `name{label="value",…}` with labels sorted by name. */
export interface MetricSet {
  counters: Record<string, number>;
  histograms: Record<string, HistogramData>;
}

export type Labels = Readonly<Record<string, string | number>>;

export function emptyMetrics(): MetricSet {
  return { counters: {}, histograms: {} };
}

export function isEmpty(m: MetricSet): boolean {
  return Object.keys(m.counters).length === 0 && Object.keys(m.histograms).length === 0;
}

/** The series key of a metric and its labels (label values escaped as in the exposition format). */
export function seriesKey(name: string, labels: Labels = {}): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return name;
  const parts = names.map((l) => `${l}="${escapeLabel(String(labels[l]))}"`);
  return `${name}{${parts.join(",")}}`;
}

export function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

/** The metric name of a series key. */
export function metricName(key: string): string {
  const brace = key.indexOf("{");
  return brace < 0 ? key : key.slice(0, brace);
}

export function inc(m: MetricSet, name: string, labels: Labels = {}, by = 1): void {
  const key = seriesKey(name, labels);
  m.counters[key] = (m.counters[key] ?? 0) + by;
}

export function observe(
  m: MetricSet,
  name: string,
  buckets: Buckets,
  value: number,
  labels: Labels = {},
): void {
  if (!Number.isFinite(value)) return;
  const key = seriesKey(name, labels);
  const h = m.histograms[key] ?? { counts: new Array(buckets.length + 1).fill(0), sum: 0, count: 0 };
  m.histograms[key] = h;
  let i = 0;
  while (i < buckets.length && value > buckets[i]!) i++;
  h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.sum += value;
  h.count += 1;
}

/** Adds `from` into `into` (counters and histograms with the same bounds add). */
export function merge(into: MetricSet, from: MetricSet): MetricSet {
  for (const [key, v] of Object.entries(from.counters)) into.counters[key] = (into.counters[key] ?? 0) + v;
  for (const [key, h] of Object.entries(from.histograms)) {
    const target = into.histograms[key];
    if (!target) {
      into.histograms[key] = { counts: [...h.counts], sum: h.sum, count: h.count };
      continue;
    }
    if (target.counts.length !== h.counts.length) {
      throw new RangeError(
        `histogram ${key} has ${h.counts.length} buckets here and ${target.counts.length} there`,
      );
    }
    for (let i = 0; i < h.counts.length; i++) target.counts[i]! += h.counts[i]!;
    target.sum += h.sum;
    target.count += h.count;
  }
  return into;
}

/**
 * The q-quantile of a histogram, interpolated linearly inside its bucket (as Prometheus'
 * histogram_quantile does); NaN with no observations. The +Inf bucket reports its lower bound.
 */
export function quantile(h: HistogramData, buckets: Buckets, q: number): number {
  if (h.count === 0) return Number.NaN;
  const rank = q * h.count;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (seen + c >= rank && c > 0) {
      const lower = i === 0 ? 0 : buckets[i - 1]!;
      if (i >= buckets.length) return lower;
      return lower + ((buckets[i]! - lower) * (rank - seen)) / c;
    }
    seen += c;
  }
  return buckets[buckets.length - 1] ?? Number.NaN;
}

/** The name and labels of a series key (the inverse of seriesKey). */
export function parseSeriesKey(key: string): { name: string; labels: Record<string, string> } {
  const brace = key.indexOf("{");
  if (brace < 0) return { name: key, labels: {} };
  const labels: Record<string, string> = {};
  for (const m of key.slice(brace + 1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return { name: key.slice(0, brace), labels };
}
