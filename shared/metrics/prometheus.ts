/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): HELP and TYPE once per
 * metric, then its series; a histogram as cumulative `_bucket{le=…}` series, `_sum` and
 * `_count`. Every series gets the caller's labels (e.g. the task) in addition to its own.
 */
import { CATALOGUE, type MetricName } from "./catalogue";
import { escapeLabel, type Labels, type MetricSet, metricName } from "./metric-set";

export interface LabelledSet {
  labels: Labels;
  metrics: MetricSet;
}

/** A gauge value per label set, written after the catalogue's metrics. */
export interface Gauge {
  name: string;
  help: string;
  values: { labels: Labels; value: number }[];
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function renderPrometheus(sets: readonly LabelledSet[], gauges: readonly Gauge[] = []): string {
  const lines: string[] = [];
  for (const name of Object.keys(CATALOGUE) as MetricName[]) {
    const def = CATALOGUE[name];
    const series: string[] = [];
    for (const { labels, metrics } of sets) {
      if (def.type === "counter") {
        for (const [key, value] of Object.entries(metrics.counters)) {
          if (metricName(key) === name) series.push(`${withLabels(key, labels)} ${number(value)}`);
        }
      } else {
        for (const [key, h] of Object.entries(metrics.histograms)) {
          if (metricName(key) !== name) continue;
          let cumulative = 0;
          def.buckets.forEach((le, i) => {
            cumulative += h.counts[i] ?? 0;
            series.push(`${withLabels(key, labels, "_bucket", { le: number(le) })} ${cumulative}`);
          });
          series.push(`${withLabels(key, labels, "_bucket", { le: "+Inf" })} ${h.count}`);
          series.push(`${withLabels(key, labels, "_sum")} ${number(h.sum)}`);
          series.push(`${withLabels(key, labels, "_count")} ${h.count}`);
        }
      }
    }
    if (series.length === 0) continue;
    lines.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.type}`, ...series);
  }
  for (const gauge of gauges) {
    if (gauge.values.length === 0) continue;
    lines.push(`# HELP ${gauge.name} ${escapeHelp(gauge.help)}`, `# TYPE ${gauge.name} gauge`);
    for (const { labels, value } of gauge.values) {
      lines.push(`${withLabels(gauge.name, labels)} ${number(value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** `name{own labels…, extra…}` with the series' own labels from its key, plus `extra` and `more`. */
function withLabels(key: string, extra: Labels, suffix = "", more: Labels = {}): string {
  const brace = key.indexOf("{");
  const name = brace < 0 ? key : key.slice(0, brace);
  const own = brace < 0 ? [] : [key.slice(brace + 1, -1)];
  const added = Object.entries({ ...extra, ...more }).map(([l, v]) => `${l}="${escapeLabel(String(v))}"`);
  const all = [...own, ...added].filter((p) => p.length > 0);
  return `${name}${suffix}${all.length > 0 ? `{${all.join(",")}}` : ""}`;
}

function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

function number(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}
