/**
 * `npm run bench`: throughput of the aggregation kernels, WASM SIMD against the
 * TypeScript reference and a plain JavaScript loop, measured side by side in one run.
 * With --json the last line printed is one JSON object.
 *
 * Runs in Node's V8 (the engine workerd embeds); each figure is the median of several
 * timed runs after a warm-up, in elements processed per second.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { referenceBackend, weightedSumInto } from "../shared/kernels/reference";
import { mulberry32 } from "../shared/model-init";
import type { KernelExports } from "../wasm/accumulator";
import { createWasmBackend } from "../wasm/accumulator";

const HELP = `usage: npm run bench [-- --json] [-- --quick]

  --json    print a readable table, then one JSON object as the last line
  --quick   shorter timings (noisier), for smoke runs`;

const { values: args } = parseArgs({
  options: { json: { type: "boolean" }, quick: { type: "boolean" }, help: { type: "boolean" } },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const MIN_MS = args.quick ? 60 : 300;
const RUNS = args.quick ? 3 : 5;

/** Elements per second of `op` (which processes `elements` per call): median of RUNS timed runs. */
function throughput(elements: number, op: () => void): number {
  const warm = performance.now();
  while (performance.now() - warm < MIN_MS / 2) op();
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      op();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < MIN_MS);
    rates.push((calls * elements) / (elapsed / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

function randomVector(n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = random() * 2 - 1;
  return v;
}

/** The plain loop a JavaScript programmer would write: no fround, no SIMD. */
function jsLoop(acc: Float32Array, x: Float32Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + w * x[i]!;
}

const module = new WebAssembly.Module(readFileSync(new URL("../wasm/build/kernels.wasm", import.meta.url)));

interface KernelRow {
  name: string;
  codec: string;
  d: number;
  wasmPerSec: number;
  /** The same WASM kernel including the copy of the input into WASM memory, as the Accumulator does. */
  wasmWithCopyPerSec: number;
  tsPerSec: number;
  jsLoopPerSec: number;
}

function denseWeightedSum(d: number): KernelRow {
  const x = randomVector(d, 1);
  const w = 0.37;
  // Kernel alone: both vectors already in WASM memory.
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  const base = Math.ceil(exports.heapBase() / 16) * 16;
  const need = base + 8 * d;
  const pages = Math.ceil((need - exports.memory.buffer.byteLength) / 65536);
  if (pages > 0) exports.memory.grow(pages);
  new Float32Array(exports.memory.buffer, base + 4 * d, d).set(x);
  const wasmPerSec = throughput(d, () => exports.weightedSum(base, base + 4 * d, d, w));

  const wasmAcc = createWasmBackend(module).createAccumulator(d);
  const wasmWithCopyPerSec = throughput(d, () => wasmAcc.addWeighted(x, w));

  const tsAcc = new Float32Array(d);
  const tsPerSec = throughput(d, () => weightedSumInto(tsAcc, x, w));
  const jsAcc = new Float32Array(d);
  const jsLoopPerSec = throughput(d, () => jsLoop(jsAcc, x, w));
  return {
    name: "weighted-sum",
    codec: "dense-f32",
    d,
    wasmPerSec,
    wasmWithCopyPerSec,
    tsPerSec,
    jsLoopPerSec,
  };
}

const fmt = (n: number) => `${(n / 1e9).toFixed(2)} G/s`;
const kernels: KernelRow[] = [];
for (const d of [1 << 20, 1 << 24]) kernels.push(denseWeightedSum(d));
// Sanity: the reference backend is what the tests treat as the oracle.
referenceBackend.createAccumulator(1);

console.log("Kernel throughput (elements/s; median of runs; one core)\n");
console.log(
  ["kernel", "codec", "d", "wasm", "wasm+copy", "ts-ref", "js-loop", "wasm/js"]
    .map((h) => h.padEnd(14))
    .join(""),
);
for (const k of kernels) {
  console.log(
    [
      k.name,
      k.codec,
      `2^${Math.log2(k.d)}`,
      fmt(k.wasmPerSec),
      fmt(k.wasmWithCopyPerSec),
      fmt(k.tsPerSec),
      fmt(k.jsLoopPerSec),
      `${(k.wasmPerSec / k.jsLoopPerSec).toFixed(1)}×`,
    ]
      .map((c) => c.padEnd(14))
      .join(""),
  );
}
if (args.json) console.log(JSON.stringify({ kernels }));
