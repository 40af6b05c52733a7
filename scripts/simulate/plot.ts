/** A small SVG chart: test accuracy and cumulative upload volume against model version. */
export interface PlotPoint {
  version: number;
  accuracy: number;
  megabytes: number;
}

export function plotSvg(points: PlotPoint[], title: string): string {
  const w = 720;
  const h = 360;
  const m = { l: 60, r: 70, t: 40, b: 50 };
  const maxV = Math.max(1, ...points.map((p) => p.version));
  const minAcc = Math.min(0.5, ...points.map((p) => p.accuracy));
  const maxMb = Math.max(1e-6, ...points.map((p) => p.megabytes));
  const x = (v: number) => m.l + (v / maxV) * (w - m.l - m.r);
  const yAcc = (a: number) => m.t + (1 - (a - minAcc) / (1 - minAcc)) * (h - m.t - m.b);
  const yMb = (mb: number) => m.t + (1 - mb / maxMb) * (h - m.t - m.b);
  const line = (f: (p: PlotPoint) => number) =>
    points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.version).toFixed(1)},${f(p).toFixed(1)}`).join(" ");
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>
<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}" stroke="#444"/>
<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}" stroke="#1f77b4"/>
<line x1="${w - m.r}" y1="${m.t}" x2="${w - m.r}" y2="${h - m.b}" stroke="#d62728"/>
${ticks
  .map((t) => {
    const acc = minAcc + t * (1 - minAcc);
    return `<text x="${m.l - 6}" y="${yAcc(acc) + 4}" text-anchor="end" fill="#1f77b4">${(100 * acc).toFixed(0)}%</text>
<text x="${w - m.r + 6}" y="${yMb(t * maxMb) + 4}" fill="#d62728">${(t * maxMb).toFixed(2)}</text>
<text x="${x(t * maxV)}" y="${h - m.b + 18}" text-anchor="middle">${Math.round(t * maxV)}</text>`;
  })
  .join("\n")}
<text x="${w / 2}" y="${h - 12}" text-anchor="middle">model version</text>
<text x="16" y="${h / 2}" transform="rotate(-90 16 ${h / 2})" text-anchor="middle" fill="#1f77b4">test accuracy</text>
<text x="${w - 16}" y="${h / 2}" transform="rotate(90 ${w - 16} ${h / 2})" text-anchor="middle" fill="#d62728">uploaded MB (cumulative)</text>
<path d="${line((p) => yAcc(p.accuracy))}" fill="none" stroke="#1f77b4" stroke-width="2"/>
<path d="${line((p) => yMb(p.megabytes))}" fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="5,3"/>
</svg>
`;
}
