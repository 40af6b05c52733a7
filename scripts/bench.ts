/**
 * `npm run bench`: throughput of the aggregation kernels — the dense weighted sum and
 * decode + accumulate of every codec path — in WASM, in the TypeScript reference, in a
 * plain JavaScript loop and in native C of the same algorithm, measured in one run; and
 * the bytes per update of each density and value coding. docs/benchmarks.md records a
 * run and what it means. With --json the last line printed is one JSON object:
 *   { kernels: [{ name, codec, d, density?, wasmPerSec, tsPerSec, jsLoopPerSec, nativePerSec? }],
 *     sizes: [{ density, bits, indexCodec, bytes, ratioVsDenseF32, bitsPerIndex }] }
 * (weighted-sum rows add wasmWithCopyPerSec: through Accumulator.addWeighted).
 *
 * Runs in Node's V8 (the engine workerd embeds), one core; rates are elements processed
 * per second (nonzeros for sparse paths, floats for dense ones), the best of several
 * timed runs after a warm-up (scripts/bench/measure.ts says why the best).
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { accumulateRow, type KernelRow, SPARSE_CHOICES, weightedSumRow } from "./bench/kernels";
import type { Timing } from "./bench/measure";
import { buildNative } from "./bench/native";
import { sizes } from "./bench/sizes";
import { gaussianUpdate } from "./bench/workloads";

const HELP = `usage: npm run bench [-- --json] [-- --quick]

  --json    print the readable tables, then one JSON object as the last line
  --quick   shorter timings (noisier), for smoke runs`;

const { values: args } = parseArgs({
  options: { json: { type: "boolean" }, quick: { type: "boolean" }, help: { type: "boolean" } },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const timing: Timing = args.quick ? { runs: 2, minMs: 10, rounds: 1 } : { runs: 20, minMs: 10, rounds: 3 };
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

const rate = (n: number | undefined) =>
  n === undefined ? "—" : n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} M`;
const ratio = (a: number, b: number | undefined) => (b === undefined ? "—" : `${(a / b).toFixed(2)}×`);
const percent = (p: number) => `${+(p * 100).toPrecision(2)} %`;
const table = (header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
};

console.log(
  "\nKernel throughput, elements/s (sparse: nonzeros/s; dense: floats/s); WASM includes the copy-in\n",
);
table(
  ["kernel", "codec", "d", "density", "wasm", "ts-ref", "js-loop", "native", "wasm/native", "wasm/js"],
  kernels.map((k) => [
    k.name,
    k.codec,
    `2^${Math.log2(k.d)}`,
    k.density === undefined ? "dense" : percent(k.density),
    rate(k.wasmPerSec) + (k.wasmWithCopyPerSec ? ` (${rate(k.wasmWithCopyPerSec)} +copy)` : ""),
    rate(k.tsPerSec),
    rate(k.jsLoopPerSec),
    rate(k.nativePerSec),
    ratio(k.wasmPerSec, k.nativePerSec),
    ratio(k.wasmPerSec, k.jsLoopPerSec),
  ]),
);

console.log("\nTargets (issue 3), this run\n");
const sparseRows = kernels.filter((k) => k.density !== undefined);
const worst = (f: (k: KernelRow) => number) => sparseRows.reduce((w, k) => (f(k) < f(w) ? k : w));
const worstNative = worst((k) => k.wasmPerSec / (k.nativePerSec ?? Number.POSITIVE_INFINITY));
const worstJs = worst((k) => k.wasmPerSec / k.jsLoopPerSec);
const dense = kernels.find((k) => k.name === "weighted-sum" && k.d === D)!;
/** met, MISSED, or unchecked (null: no native C this run). */
const verdict = (ok: boolean | null) => (ok === null ? "unchecked (no native C)" : ok ? "met" : "MISSED");
const targets: [string, string, boolean | null][] = [
  [
    "sparse WASM ≥ 0.6× native C, every path",
    worstNative.nativePerSec === undefined
      ? "—"
      : `lowest ${ratio(worstNative.wasmPerSec, worstNative.nativePerSec)} (${worstNative.name}, ${percent(worstNative.density!)})`,
    worstNative.nativePerSec === undefined ? null : worstNative.wasmPerSec >= 0.6 * worstNative.nativePerSec,
  ],
  [
    "sparse WASM ≥ 2× plain JS loop, every path",
    `lowest ${ratio(worstJs.wasmPerSec, worstJs.jsLoopPerSec)} (${worstJs.name}, ${percent(worstJs.density!)})`,
    worstJs.wasmPerSec >= 2 * worstJs.jsLoopPerSec,
  ],
  ["dense weighted sum ≥ 4e9 floats/s (2^20)", rate(dense.wasmPerSec), dense.wasmPerSec >= 4e9],
  [
    "dense weighted sum ≥ 5× plain JS loop (2^20)",
    ratio(dense.wasmPerSec, dense.jsLoopPerSec),
    dense.wasmPerSec >= 5 * dense.jsLoopPerSec,
  ],
];
table(
  ["target", "measured", "verdict"],
  targets.map(([target, measured, ok]) => [target, measured, verdict(ok)]),
);
if (args.quick) console.log("(--quick: runs too short and too few to judge the targets by)");

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

if (args.json) console.log(JSON.stringify({ kernels, sizes: sizeRows }));
