import { describe, expect, it } from "vitest";
import { emptyMetrics, inc, merge, observe, parseSeriesKey, quantile, seriesKey } from "./metric-set";

const BUCKETS = [1, 2, 5];

describe("metric sets", () => {
  it("keys a series by name and labels sorted by name, with label values escaped", () => {
    expect(seriesKey("m")).toBe("m");
    expect(seriesKey("m", { b: 2, a: 'x"y\\z\n' })).toBe('m{a="x\\"y\\\\z\\n",b="2"}');
  });

  it("counts and observes into buckets (upper bound inclusive), ignoring non-finite values", () => {
    const m = emptyMetrics();
    inc(m, "c", { k: "v" });
    inc(m, "c", { k: "v" }, 2);
    for (const v of [0.5, 1, 1.5, 5, 7, Number.NaN]) observe(m, "h", BUCKETS, v);
    expect(m.counters).toEqual({ 'c{k="v"}': 3 });
    expect(m.histograms.h).toEqual({ counts: [2, 1, 1, 1], sum: 15, count: 5 });
  });

  it("adds sets: counters and histograms with the same bounds sum, new series are copied", () => {
    const a = emptyMetrics();
    const b = emptyMetrics();
    inc(a, "c");
    inc(b, "c", {}, 4);
    inc(b, "d");
    observe(a, "h", BUCKETS, 1);
    observe(b, "h", BUCKETS, 3);
    merge(a, b);
    expect(a.counters).toEqual({ c: 5, d: 1 });
    expect(a.histograms.h).toEqual({ counts: [1, 0, 1, 0], sum: 4, count: 2 });
    // b's histogram was copied into fresh arrays, not shared.
    observe(b, "h", BUCKETS, 3);
    expect(a.histograms.h!.count).toBe(2);
  });

  it("interpolates quantiles inside their bucket, as Prometheus' histogram_quantile does", () => {
    const m = emptyMetrics();
    for (const v of [0.5, 0.5, 1.5, 1.5]) observe(m, "h", BUCKETS, v);
    const h = m.histograms.h!;
    expect(quantile(h, BUCKETS, 0.5)).toBe(1); // 2 of 4 in (0, 1]: the median is at its top
    expect(quantile(h, BUCKETS, 0.75)).toBe(1.5); // half-way into (1, 2]
    expect(quantile({ counts: [0, 0, 0, 0], sum: 0, count: 0 }, BUCKETS, 0.5)).toBeNaN();
  });
});

describe("parseSeriesKey", () => {
  it("reads back the name and labels seriesKey wrote, escapes included", () => {
    const labels = { a: 'x"y\\z\nw', b: "2" };
    expect(parseSeriesKey(seriesKey("m", labels))).toEqual({ name: "m", labels });
    expect(parseSeriesKey("plain")).toEqual({ name: "plain", labels: {} });
  });
});
