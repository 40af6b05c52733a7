/** The report as a Markdown table (what README.md shows), one row per figure, with issue 9's targets. */
import type { LoadtestReport } from "./result";
import type { Percentiles } from "./stats";

const n = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined
    ? "–"
    : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (p: Percentiles | null) => (p ? `${n(p.p50, 1)} / ${n(p.p95, 1)} / ${n(p.p99, 1)}` : "–");
const counts = (c: Record<string, number>) =>
  Object.keys(c).length === 0
    ? "none"
    : Object.entries(c)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(", ");

export function table(r: LoadtestReport): string {
  const o = r.overload;
  const frame = r.frameBytes;
  const rows: [string, string, string, string][] = [
    ["accepted updates/s at saturation", n(r.acceptedPerSec), n(r.bareCeilingPerSec), "≥ 0.6× bare"],
    ["fedge ÷ bare ceiling", n(r.ratio, 3), "1", "≥ 0.6"],
    ["workerd CPU ms per 202", n(r.cpuMsPerAccepted, 2), n(r.bareCpuMsPerRequest, 2), ""],
    [
      `bytes written to disk per 202 (frame ${n(frame)} B)`,
      `${n(r.storageBytesPerAccepted)} (${n((r.storageBytesPerAccepted ?? 0) / frame, 1)}×)`,
      `${n(r.bareStorageBytesPerRequest)} (${n((r.bareStorageBytesPerRequest ?? 0) / frame, 1)}×)`,
      "≤ 3× frame",
    ],
    [
      "SQLite rows written per 202 (Cloudflare bills them)",
      r.storageRowsByTier
        ? `${n(r.storageRowsPerAccepted, 2)} (${Object.entries(r.storageRowsByTier)
            .map(([tier, rows]) => `${tier} ${n(rows, 2)}`)
            .join(", ")})`
        : "–",
      "1 (its INSERT)",
      "",
    ],
    ["check-in latency p50 / p95 / p99 ms", pct(r.latencyMs.checkin), "", ""],
    ["upload latency p50 / p95 / p99 ms", pct(r.latencyMs.upload), "", ""],
    [
      `half load (${n(r.halfLoad.offeredPerSec)}/s offered): upload p99 ms`,
      n(r.halfLoad.p99Ms, 1),
      "",
      "< 100",
    ],
    [`overload ×${o.factor} (${n(o.offeredPerSec)}/s offered): accepted/s`, n(o.acceptedPerSec), "", ""],
    ["overload: device steps sent/s (a busy device skips its turn)", n(o.sentPerSec), "", ""],
    ["overload: p99 of accepted uploads ms", n(o.acceptedP99Ms, 1), "", "< 1,000"],
    ["overload: shed (429/503 + Retry-After)", counts(o.shed.byReason), "", "the excess"],
    ["overload: 5xx (other than 503 + Retry-After)", n(o.status5xx), "", "0"],
    ["Jain's index, well-behaved devices", n(r.jainFairness, 3), "", "≥ 0.9"],
    [`greedy device (${r.config.greedyFactor}× rate) ÷ fair share`, n(r.greedyShare, 2), "", "≤ 1.5"],
    [
      "202s acked / counted / lost",
      `${n(r.ackedUpdates)} / ${n(r.countedUpdates)} / ${n(r.lostAcked)}`,
      "",
      "lost 0",
    ],
  ];
  const header: [string, string, string, string] = ["", "fedge", "bare ceiling", "target (issue 9)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
