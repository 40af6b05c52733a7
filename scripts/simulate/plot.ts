/**
 * Small SVG charts: test accuracy (solid) and cumulative upload volume (dashed) against model
 * version, per run (plotSvg); and, for --bandwidth, accuracy against simulated time beside the
 * compression levels assigned per bandwidth class (plotBandwidthSvg).
 */
import { type LevelAssignment, levelBins } from "./sim-clock";

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

export interface BandwidthPlot {
  title: string;
  /** Test accuracy against simulated seconds, per run. */
  runs: { label: string; points: { seconds: number; accuracy: number }[] }[];
  target: number;
  /** Bandwidth class names, in class order. */
  classes: string[];
  /** The run whose assigned levels the right panel shows. */
  levelsOf: string;
  assignments: LevelAssignment[];
}

const RUN_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#d62728"];
const CLASS_COLOURS = ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4"];
/** Marker size by bits: the more bits per value, the larger the dot. */
const BITS_RADIUS: Record<number, number> = { 4: 2.5, 8: 4, 16: 5.5, 32: 7 };

/**
 * Two panels: left, test accuracy against simulated time for every run, with the target as
 * a dashed line; right, the density assigned over simulated time (log scale; median per
 * class in time bins, the dot's size the bits most assigned in the bin), one line per class.
 */
export function plotBandwidthSvg(p: BandwidthPlot): string {
  const w = 1200;
  const h = 460;
  const panel = { w: 520, top: 44, bottom: h - 150 };
  const left = 64;
  const right = left + panel.w + 90;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const maxT = Math.max(1, ...p.runs.flatMap((r) => r.points.map((q) => q.seconds)));
  const minAcc = Math.min(0.5, p.target, ...p.runs.flatMap((r) => r.points.map((q) => q.accuracy)));
  const xAt = (x0: number, t: number) => x0 + (t / maxT) * panel.w;
  const yAcc = (a: number) => panel.top + (1 - (a - minAcc) / (1 - minAcc)) * (panel.bottom - panel.top);
  const densities = p.assignments.map((a) => a.density);
  const lo = 10 ** Math.floor(Math.log10(Math.min(1e-3, ...densities)));
  const yDen = (d: number) =>
    panel.top + (1 - Math.log10(d / lo) / Math.log10(1 / lo)) * (panel.bottom - panel.top);
  const axes = (x0: number) =>
    `<line x1="${x0}" y1="${panel.bottom}" x2="${x0 + panel.w}" y2="${panel.bottom}" stroke="#444"/>
<line x1="${x0}" y1="${panel.top}" x2="${x0}" y2="${panel.bottom}" stroke="#444"/>
${[0, 0.25, 0.5, 0.75, 1].map((t) => `<text x="${xAt(x0, t * maxT)}" y="${panel.bottom + 18}" text-anchor="middle">${Math.round(t * maxT)}</text>`).join("\n")}
<text x="${x0 + panel.w / 2}" y="${panel.bottom + 34}" text-anchor="middle">simulated seconds</text>`;
  const accTicks = [0, 0.25, 0.5, 0.75, 1].map((t) => minAcc + t * (1 - minAcc));
  const denTicks = Array.from({ length: Math.round(Math.log10(1 / lo)) + 1 }, (_, i) => lo * 10 ** i);
  const bins = levelBins(p.assignments, p.classes.length, maxT / 30);
  const poly = (xs: { x: number; y: number }[]) =>
    xs.map((q, i) => `${i === 0 ? "M" : "L"}${q.x.toFixed(1)},${q.y.toFixed(1)}`).join(" ");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="14">${esc(p.title)}</text>
${axes(left)}
${accTicks.map((a) => `<text x="${left - 6}" y="${yAcc(a) + 4}" text-anchor="end">${(100 * a).toFixed(0)}%</text>`).join("\n")}
<text x="16" y="${(panel.top + panel.bottom) / 2}" transform="rotate(-90 16 ${(panel.top + panel.bottom) / 2})" text-anchor="middle">test accuracy</text>
<line x1="${left}" y1="${yAcc(p.target)}" x2="${left + panel.w}" y2="${yAcc(p.target)}" stroke="#000" stroke-dasharray="6,4"/>
<text x="${left + panel.w - 4}" y="${yAcc(p.target) + 15}" text-anchor="end">target ${(100 * p.target).toFixed(2)}%</text>
${p.runs
  .map((r, i) => {
    const c = RUN_COLOURS[i % RUN_COLOURS.length];
    // A step: a version's accuracy holds until the next version is out.
    const steps = r.points.flatMap((q, k) => {
      const next = r.points[k + 1]?.seconds ?? q.seconds;
      return [
        { x: xAt(left, q.seconds), y: yAcc(q.accuracy) },
        { x: xAt(left, next), y: yAcc(q.accuracy) },
      ];
    });
    return `<path d="${poly(steps)}" fill="none" stroke="${c}" stroke-width="1.8"/>
<rect x="${left}" y="${panel.bottom + 48 + i * 15}" width="14" height="3" fill="${c}"/>
<text x="${left + 20}" y="${panel.bottom + 53 + i * 15}">${esc(r.label)}</text>`;
  })
  .join("\n")}
${axes(right)}
${denTicks.map((d) => `<text x="${right - 6}" y="${yDen(d) + 4}" text-anchor="end">${d}</text>`).join("\n")}
<text x="${right - 52}" y="${(panel.top + panel.bottom) / 2}" transform="rotate(-90 ${right - 52} ${(panel.top + panel.bottom) / 2})" text-anchor="middle">assigned density (log), median per class</text>
<text x="${right + panel.w / 2}" y="${panel.top - 8}" text-anchor="middle">${esc(`levels assigned: ${p.levelsOf}`)}</text>
${bins
  .map((series, cls) => {
    const c = CLASS_COLOURS[cls % CLASS_COLOURS.length];
    const pts = series.map((b) => ({ x: xAt(right, b.seconds), y: yDen(b.medianDensity), bits: b.bits }));
    return `<path d="${poly(pts)}" fill="none" stroke="${c}" stroke-width="1.5"/>
${pts.map((q) => `<circle cx="${q.x.toFixed(1)}" cy="${q.y.toFixed(1)}" r="${BITS_RADIUS[q.bits] ?? 4}" fill="${c}" fill-opacity="0.7"/>`).join("\n")}
<rect x="${right}" y="${panel.bottom + 48 + cls * 15}" width="14" height="3" fill="${c}"/>
<text x="${right + 20}" y="${panel.bottom + 53 + cls * 15}">${esc(p.classes[cls] ?? `class ${cls}`)}</text>`;
  })
  .join("\n")}
${Object.entries(BITS_RADIUS)
  .map(
    ([bits, r], i) =>
      `<circle cx="${right + 260 + i * 62}" cy="${panel.bottom + 52}" r="${r}" fill="#555" fill-opacity="0.7"/><text x="${right + 270 + i * 62}" y="${panel.bottom + 56}">${bits} bits</text>`,
  )
  .join("\n")}
</svg>
`;
}
