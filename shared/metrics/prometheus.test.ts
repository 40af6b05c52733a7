import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { SECONDS_BUCKETS } from "./catalogue";
import { emptyMetrics } from "./metric-set";
import { renderPrometheus } from "./prometheus";
import { count, record } from "./record";

describe("the Prometheus exposition", () => {
  it("writes counters and histograms that a standard parser reads back with their values and labels", () => {
    // Prepare
    const m = emptyMetrics();
    count(m, "fedge_shed_total", { tier: "cluster", reason: "overloaded" }, 3);
    count(m, "fedge_updates_accepted_total", {}, 7);
    for (const s of [0.002, 0.02, 0.2])
      record(m, "fedge_stage_duration_seconds", s, { stage: "cluster_ingest" });

    // Execute
    const text = renderPrometheus(
      [{ labels: { task: 'spam "v2"' }, metrics: m }],
      [
        {
          name: "fedge_model_version",
          help: "Current model version.",
          values: [{ labels: { task: "spam" }, value: 4 }],
        },
      ],
    );
    const parsed = parsePrometheusTextFormat(text);

    // Assert
    const byName = Object.fromEntries(parsed.map((p) => [p.name, p]));
    expect(byName.fedge_shed_total).toMatchObject({
      type: "COUNTER",
      metrics: [{ value: "3", labels: { tier: "cluster", reason: "overloaded", task: 'spam "v2"' } }],
    });
    expect(byName.fedge_updates_accepted_total!.metrics[0]!.value).toBe("7");
    // The npm parser drops labelled histogram series, so the histogram is checked line by line
    // (and by promtool in .ci/run against a live service).
    expect(byName.fedge_stage_duration_seconds!.type).toBe("HISTOGRAM");
    const series = 'stage="cluster_ingest",task="spam \\"v2\\""';
    const buckets = [...text.matchAll(/^fedge_stage_duration_seconds_bucket\{(.*),le="([^"]+)"\} (\d+)$/gm)];
    expect(buckets).toHaveLength(SECONDS_BUCKETS.length + 1);
    expect(buckets.every((b) => b[1] === series)).toBe(true);
    const cumulative = buckets.map((b) => Number(b[3]));
    expect(cumulative).toEqual([...cumulative].sort((x, y) => x - y));
    expect(Object.fromEntries(buckets.map((b) => [b[2], Number(b[3])]))).toMatchObject({
      "0.0025": 1,
      "0.025": 2,
      "+Inf": 3,
    });
    expect(text).toContain(`fedge_stage_duration_seconds_count{${series}} 3`);
    expect(text).toMatch(
      new RegExp(`^fedge_stage_duration_seconds_sum\\{${series.replaceAll("\\", "\\\\")}\\} 0\\.222`, "m"),
    );
    expect(byName.fedge_model_version).toMatchObject({ type: "GAUGE", metrics: [{ value: "4" }] });
  });

  it("writes HELP and TYPE once per metric, before its series, and nothing for metrics without series", () => {
    const a = emptyMetrics();
    const b = emptyMetrics();
    count(a, "fedge_dead_letters_total");
    count(b, "fedge_dead_letters_total", {}, 2);
    const text = renderPrometheus([
      { labels: { task: "a" }, metrics: a },
      { labels: { task: "b" }, metrics: b },
    ]);
    expect(text.match(/^# TYPE fedge_dead_letters_total counter$/gm)).toHaveLength(1);
    expect(text).not.toContain("fedge_quarantines_total");
    expect(text.indexOf("# HELP fedge_dead_letters_total")).toBeLessThan(
      text.indexOf('fedge_dead_letters_total{task="a"} 1'),
    );
  });
});
