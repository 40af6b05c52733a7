/** A small SVG chart: test accuracy (solid) and cumulative upload volume (dashed) against model version, per run. */
export interface PlotPoint {
  version: number;
  accuracy: number;
  megabytes: number;
}

export interface PlotSeries {
  label: string;
  points: PlotPoint[];
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

export function plotSvg(series: PlotSeries[], title: string): string {
  const w = 760;
  const h = 400;
  const m = { l: 60, r: 80, t: 40, b: 84 };
  const all = series.flatMap((s) => s.points);
  const maxV = Math.max(1, ...all.map((p) => p.version));
  const minAcc = Math.min(0.5, ...all.map((p) => p.accuracy));
  const maxMb = Math.max(1e-6, ...all.map((p) => p.megabytes));
  const x = (v: number) => m.l + (v / maxV) * (w - m.l - m.r);
  const yAcc = (a: number) => m.t + (1 - (a - minAcc) / (1 - minAcc)) * (h - m.t - m.b);
  // Upload volume on a log scale: the runs being compared differ by orders of magnitude.
  const minMb = Math.max(
    1e-3,
    Math.min(...all.filter((p) => p.megabytes > 0).map((p) => p.megabytes), maxMb) / 2,
  );
  const yMb = (mb: number) =>
    m.t + (1 - Math.log(Math.max(mb, minMb) / minMb) / Math.log(maxMb / minMb || 10)) * (h - m.t - m.b);
  const path = (points: PlotPoint[], f: (p: PlotPoint) => number) =>
    points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.version).toFixed(1)},${f(p).toFixed(1)}`).join(" ");
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const mbTicks = ticks.map((t) => minMb * (maxMb / minMb) ** t);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>
<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}" stroke="#444"/>
<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}" stroke="#444"/>
<line x1="${w - m.r}" y1="${m.t}" x2="${w - m.r}" y2="${h - m.b}" stroke="#444"/>
${ticks
  .map(
    (
      t,
      i,
    ) => `<text x="${m.l - 6}" y="${yAcc(minAcc + t * (1 - minAcc)) + 4}" text-anchor="end">${(100 * (minAcc + t * (1 - minAcc))).toFixed(0)}%</text>
<text x="${w - m.r + 6}" y="${yMb(mbTicks[i]!) + 4}">${mbTicks[i]!.toPrecision(2)}</text>
<text x="${x(t * maxV)}" y="${h - m.b + 18}" text-anchor="middle">${Math.round(t * maxV)}</text>`,
  )
  .join("\n")}
<text x="${w / 2}" y="${h - m.b + 34}" text-anchor="middle">model version</text>
<text x="16" y="${(h - m.b + m.t) / 2}" transform="rotate(-90 16 ${(h - m.b + m.t) / 2})" text-anchor="middle">test accuracy (solid)</text>
<text x="${w - 14}" y="${(h - m.b + m.t) / 2}" transform="rotate(90 ${w - 14} ${(h - m.b + m.t) / 2})" text-anchor="middle">uploaded MB, log scale (dashed)</text>
${series
  .map((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    return `<path d="${path(s.points, (p) => yAcc(p.accuracy))}" fill="none" stroke="${c}" stroke-width="2"/>
<path d="${path(s.points, (p) => yMb(p.megabytes))}" fill="none" stroke="${c}" stroke-width="1.5" stroke-dasharray="5,3"/>
<rect x="${m.l + 10}" y="${h - 26 + i * 16}" width="14" height="3" fill="${c}"/>
<text x="${m.l + 30}" y="${h - 21 + i * 16}">${esc(s.label)}</text>`;
  })
  .join("\n")}
</svg>
`;
}
