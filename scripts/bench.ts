/**
 * `npm run bench`: throughput of the aggregation kernels — the dense weighted sum and
 * decode + accumulate of every codec path — in WASM, in the TypeScript reference, in a
 * plain JavaScript loop and in native C of the same algorithm, measured in one run; and
 * the bytes per update of each density and value coding. docs/benchmarks.md records a
 * run and what it means. With --json the last line printed is one JSON object:
 *   { timing: { rounds, runs, minMs },
 *     kernels: [{ name, codec, d, density?, wasmPerSec, tsPerSec, jsLoopPerSec, nativePerSec?,
 *                 perSec: { wasm, ts, jsLoop, native? }, ratios: { wasmOverNative?, wasmOverJsLoop } }],
 *     sizes: [{ density, bits, indexCodec, bytes, ratioVsDenseF32, bitsPerIndex }] }
 * where the …PerSec figures are medians over the rounds, and perSec and ratios hold
 * { median, q1, q3, min, max } (weighted-sum rows add wasmWithCopyPerSec and
 * perSec.wasmWithCopy: through Accumulator.addWeighted).
 *
 * Runs in Node's V8 (the engine workerd embeds), one core; rates are elements processed
 * per second (nonzeros for sparse paths, floats for dense ones). The implementations of a
 * row take turns in interleaved rounds, and each ratio is taken within a round
 * (scripts/bench/measure.ts says why).
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { accumulateRow, type KernelRow, SPARSE_CHOICES, weightedSumRow } from "./bench/kernels";
import type { Timing } from "./bench/measure";
import { buildNative } from "./bench/native";
import { sizes } from "./bench/sizes";
import type { Spread } from "./bench/stats";
import { gaussianUpdate } from "./bench/workloads";

const FULL: Timing = { rounds: 15, runs: 3, minMs: 10 };
const QUICK: Timing = { rounds: 5, runs: 1, minMs: 10 };

const HELP = `usage: npm run bench [-- --json] [-- --quick] [-- --rounds N]

  --json      print the readable tables, then one JSON object as the last line
  --quick     ${QUICK.rounds} rounds of one ${QUICK.minMs} ms run per turn (noisier), for smoke runs
  --rounds N  interleaved rounds per row (default ${FULL.rounds}, or ${QUICK.rounds} with --quick)

Each row's implementations take turns, round after round; a turn is the best of
${FULL.runs} runs of at least ${FULL.minMs} ms (1 with --quick). Figures are medians over the rounds, ± half
the interquartile range; ratios are taken within each round, then summarized.`;

const { values: args } = parseArgs({
  options: {
    json: { type: "boolean" },
    quick: { type: "boolean" },
    rounds: { type: "string" },
    help: { type: "boolean" },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const rounds = args.rounds === undefined ? undefined : Number(args.rounds);
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) {
  console.error(`--rounds must be a whole number ≥ 1, got ${JSON.stringify(args.rounds)}\n\n${HELP}`);
  process.exit(2);
}
const timing: Timing = { ...(args.quick ? QUICK : FULL), ...(rounds ? { rounds } : {}) };
const D = 2 ** 20;

const module = new WebAssembly.Module(readFileSync(new URL("../wasm/build/kernels.wasm", import.meta.url)));
const native = buildNative();
const values = gaussianUpdate(D, 1);

console.log(
  `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores; Node ${process.version} (V8 ${process.versions.v8})`,
);
console.log(typeof native === "string" ? `native C: skipped, ${native}` : `native C: ${native.compiler}`);
const nativeOrNull = typeof native === "string" ? null : native;

const kernels: KernelRow[] = [];
for (const d of [D, 2 ** 24])
  kernels.push(weightedSumRow(module, d === D ? values : gaussianUpdate(d, 2), timing, nativeOrNull));
for (const bits of [32, 16] as const)
  kernels.push(accumulateRow(module, values, { bits }, timing, nativeOrNull));
for (const choice of SPARSE_CHOICES)
  kernels.push(accumulateRow(module, values, choice, timing, nativeOrNull));
nativeOrNull?.dispose();

const rate = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} M`;
/** The median rate ± half the interquartile range, in % of the median. */
const rateSpread = (s: Spread | undefined) =>
  s === undefined ? "—" : `${rate(s.median)} ±${Math.round((50 * (s.q3 - s.q1)) / s.median)} %`;
/** The median ratio and its interquartile range. */
const ratioSpread = (s: Spread | undefined) =>
  s === undefined ? "—" : `${s.median.toFixed(2)}× (${s.q1.toFixed(2)}–${s.q3.toFixed(2)})`;
const percent = (p: number) => `${+(p * 100).toPrecision(2)} %`;
const table = (header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
};

console.log(
  `\nKernel throughput, elements/s (sparse: nonzeros/s; dense: floats/s); WASM includes the copy-in.
${timing.rounds} interleaved rounds, a turn the best of ${timing.runs === 1 ? "one run" : `${timing.runs} runs`} of ≥ ${timing.minMs} ms: the median ± half the
interquartile range (in % of the median); ratios taken within each round: median (interquartile range)\n`,
);
table(
  [
    "kernel",
    "codec",
    "d",
    "density",
    "wasm",
    "wasm+copy",
    "ts-ref",
    "js-loop",
    "native",
    "wasm/native",
    "wasm/js",
  ],
  kernels.map((k) => [
    k.name,
    k.codec,
    `2^${Math.log2(k.d)}`,
    k.density === undefined ? "dense" : percent(k.density),
    rateSpread(k.perSec.wasm),
    rateSpread(k.perSec.wasmWithCopy),
    rateSpread(k.perSec.ts),
    rateSpread(k.perSec.jsLoop),
    rateSpread(k.perSec.native),
    ratioSpread(k.ratios.wasmOverNative),
    ratioSpread(k.ratios.wasmOverJsLoop),
  ]),
);

console.log("\nTargets (issue 3), this run: medians over the rounds\n");
const sparseRows = kernels.filter((k) => k.density !== undefined);
/** The sparse row with the lowest median of a ratio, described. */
const lowest = (of: (k: KernelRow) => Spread | undefined) => {
  const worst = sparseRows.reduce((w, k) =>
    (of(k)?.median ?? Number.POSITIVE_INFINITY) < (of(w)?.median ?? Number.POSITIVE_INFINITY) ? k : w,
  );
  const s = of(worst);
  return (
    s && { median: s.median, text: `lowest ${ratioSpread(s)}, ${worst.name} ${percent(worst.density!)}` }
  );
};
const worstNative = lowest((k) => k.ratios.wasmOverNative);
const worstJs = lowest((k) => k.ratios.wasmOverJsLoop)!;
const dense = kernels.find((k) => k.name === "weighted-sum" && k.d === D)!;
/** met, MISSED, or unchecked (null: no native C this run). */
const verdict = (ok: boolean | null) => (ok === null ? "unchecked (no native C)" : ok ? "met" : "MISSED");
const targets: [string, string, boolean | null][] = [
  [
    "sparse WASM ≥ 0.6× native C, every path",
    worstNative?.text ?? "—",
    worstNative ? worstNative.median >= 0.6 : null,
  ],
  ["sparse WASM ≥ 2× plain JS loop, every path", worstJs.text, worstJs.median >= 2],
  ["dense weighted sum ≥ 4e9 floats/s (2^20)", rateSpread(dense.perSec.wasm), dense.wasmPerSec >= 4e9],
  [
    "dense weighted sum ≥ 5× plain JS loop (2^20)",
    ratioSpread(dense.ratios.wasmOverJsLoop),
    dense.ratios.wasmOverJsLoop.median >= 5,
  ],
];
table(
  ["target", "measured", "verdict"],
  targets.map(([target, measured, ok]) => [target, measured, verdict(ok)]),
);
if (args.quick) console.log("(--quick: turns too short and rounds too few to judge the targets by)");

const sizeRows = sizes(values);
console.log("\nBytes per update, d = 2^20 (whole frame; the encoder's smallest index coding)\n");
table(
  ["density", "bits", "index", "bytes", "× smaller than dense-f32", "bits/index"],
  sizeRows.map((s) => [
    percent(s.density),
    String(s.bits),
    s.indexCodec,
    String(s.bytes),
    s.ratioVsDenseF32.toFixed(1),
    s.bitsPerIndex.toFixed(2),
  ]),
);

if (args.json) console.log(JSON.stringify({ timing, kernels, sizes: sizeRows }));
