/**
 * One row of the kernels table: the same input through the WASM kernel (the real
 * wrapper path: copy in, validate, accumulate), the TypeScript reference, a plain
 * JavaScript loop and native C, with the update's ‖v‖² from each checked against the
 * reference's, so that every rate is for the same, correct, work; then timed in
 * interleaved rounds (./measure.ts) and summarized (./stats.ts).
 */
import { accumulateUpdate } from "../../shared/codecs/accumulate";
import { codecInfo, codecName, IndexCoding } from "../../shared/codecs/ids";
import { weightedSumInto } from "../../shared/kernels/reference";
import { createWasmBackend, type KernelExports } from "../../wasm/accumulator";
import { denseLoop, sparseLoop, weightedSumLoop } from "./js-loops";
import { interleavedRounds, type Timing, throughput } from "./measure";
import { type Native, WEIGHTED_SUM } from "./native";
import { perRoundRatios, type Spread, spread } from "./stats";
import { type EncodeChoice, encode } from "./workloads";

export interface KernelRow {
  /** weighted-sum, dense-f32, dense-f16, or index coding + value coding ("rice+q8"). */
  name: string;
  codec: string;
  d: number;
  /** Sparse rows: the fraction of values sent. */
  density?: number;
  /** Elements per second, the median over the rounds: nonzeros for sparse rows, floats for dense ones. */
  wasmPerSec: number;
  /** Weighted sum only: through Accumulator.addWeighted, which copies x into WASM memory first. */
  wasmWithCopyPerSec?: number;
  tsPerSec: number;
  jsLoopPerSec: number;
  nativePerSec?: number;
  /** The same rates' spread over the rounds (their medians are the figures above). */
  perSec: Rates<Spread>;
  /** wasm / native and wasm / js-loop, taken round by round, then summarized. */
  ratios: { wasmOverNative?: Spread; wasmOverJsLoop: Spread };
}

interface Rates<T> {
  wasm: T;
  wasmWithCopy?: T;
  ts: T;
  jsLoop: T;
  native?: T;
}

/** The scale every update is added with (a sample weight). */
const SCALE = 0.5;
/** One short run: to check a result, not to time it. */
const ONCE = { runs: 1, minMs: 0 };
const VALUE_CODINGS = { 32: "f32", 16: "f16", 8: "q8", 4: "q4" } as const;
const INDEX_CODINGS = ["varint", "bitmap", "rice"];

/** a agrees with the reference b: exactly, or within rel relative error. */
function check(what: string, a: number, b: number, rel: number): void {
  if (Math.abs(a - b) > rel * Math.abs(b)) throw new Error(`${what}: ‖v‖² ${a} ≠ reference ${b}`);
}

/** Each implementation's turns, interleaved over timing.rounds rounds, as a row's rates and ratios. */
function timeRow(
  measures: Record<keyof Rates<unknown>, (() => number) | undefined>,
  timing: Timing,
): Omit<KernelRow, "name" | "codec" | "d" | "density"> {
  const { wasm, wasmWithCopy, ts, jsLoop, native } = interleavedRounds(measures, timing.rounds);
  const perSec: Rates<Spread> = {
    wasm: spread(wasm!),
    ...(wasmWithCopy ? { wasmWithCopy: spread(wasmWithCopy) } : {}),
    ts: spread(ts!),
    jsLoop: spread(jsLoop!),
    ...(native ? { native: spread(native) } : {}),
  };
  return {
    wasmPerSec: perSec.wasm.median,
    ...(perSec.wasmWithCopy ? { wasmWithCopyPerSec: perSec.wasmWithCopy.median } : {}),
    tsPerSec: perSec.ts.median,
    jsLoopPerSec: perSec.jsLoop.median,
    ...(perSec.native ? { nativePerSec: perSec.native.median } : {}),
    perSec,
    ratios: {
      ...(native ? { wasmOverNative: spread(perRoundRatios(wasm!, native)) } : {}),
      wasmOverJsLoop: spread(perRoundRatios(wasm!, jsLoop!)),
    },
  };
}

/** acc[i] += w · x[i] over d floats. */
export function weightedSumRow(
  module: WebAssembly.Module,
  x: Float32Array,
  timing: Timing,
  native: Native | null,
): KernelRow {
  const d = x.length;
  // The kernel alone, both vectors already in WASM memory.
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  const base = Math.ceil(exports.heapBase() / 16) * 16;
  const pages = Math.ceil((base + 8 * d - exports.memory.buffer.byteLength) / 65536);
  if (pages > 0) exports.memory.grow(pages);
  new Float32Array(exports.memory.buffer, base + 4 * d, d).set(x);
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const nativeRun = native?.prepare(WEIGHTED_SUM, bytes, d, SCALE);
  const rates = timeRow(
    {
      wasm: () => throughput(d, () => exports.weightedSum(base, base + 4 * d, d, SCALE), timing),
      wasmWithCopy: () => {
        const acc = createWasmBackend(module).createAccumulator(d);
        return throughput(d, () => acc.addWeighted(x, SCALE), timing);
      },
      ts: () => {
        const acc = new Float32Array(d);
        return throughput(d, () => weightedSumInto(acc, x, SCALE), timing);
      },
      jsLoop: () => {
        const acc = new Float32Array(d);
        return throughput(d, () => weightedSumLoop(acc, x, SCALE), timing);
      },
      native: nativeRun && (() => nativeRun(timing).perSec),
    },
    timing,
  );
  return { name: "weighted-sum", codec: "dense-f32", d, ...rates };
}

/** Decode and accumulate the frame the encoder makes of values with choice. */
export function accumulateRow(
  module: WebAssembly.Module,
  values: Float32Array,
  choice: EncodeChoice,
  timing: Timing,
  native: Native | null,
): KernelRow {
  const d = values.length;
  const { header, payload } = encode(values, choice);
  const update = { codec: header.codec, payload };
  const sparse = choice.density !== undefined;
  const elements = sparse ? header.nnz : d;
  const codec = codecName(header.codec);
  if (sparse && (!codecInfo(header.codec)?.sparse || payload[0] !== (choice.indexCoding ?? payload[0]))) {
    throw new Error(`the encoder did not send ${JSON.stringify(choice)} as asked`);
  }

  const reference = accumulateUpdate(new Float32Array(d), update, SCALE).squaredNorm;
  // Sparse sums run in index order everywhere, so they agree bit for bit; dense ones in lanes.
  const rel = sparse ? 0 : 1e-12;
  const wasm = createWasmBackend(module);
  check(`wasm ${codec}`, wasm.createAccumulator(d).accumulate(update, SCALE).squaredNorm, reference, rel);
  const loop = sparse ? sparseLoop : denseLoop;
  check(`js ${codec}`, loop(new Float32Array(d), header.codec, payload, SCALE), reference, 1e-6);
  const nativeRun = native?.prepare(header.codec, payload, d, SCALE);
  if (nativeRun) check(`native ${codec}`, nativeRun(ONCE).squaredNorm, reference, rel);
  // A fresh accumulator each turn, as native.c gets a fresh process: new memory, new pages.
  const rates = timeRow(
    {
      wasm: () => {
        const acc = wasm.createAccumulator(d);
        return throughput(elements, () => acc.accumulate(update, SCALE), timing);
      },
      wasmWithCopy: undefined,
      ts: () => {
        const acc = new Float32Array(d);
        return throughput(elements, () => accumulateUpdate(acc, update, SCALE), timing);
      },
      jsLoop: () => {
        const acc = new Float32Array(d);
        return throughput(elements, () => loop(acc, header.codec, payload, SCALE), timing);
      },
      native: nativeRun && (() => nativeRun(timing).perSec),
    },
    timing,
  );
  return {
    name: sparse ? `${INDEX_CODINGS[payload[0]!]}+${VALUE_CODINGS[choice.bits]}` : codec,
    codec,
    d,
    ...(sparse ? { density: choice.density } : {}),
    ...rates,
  };
}

/** The sparse paths measured at d = 2²⁰: each density × the codings the encoder picks or may. */
export const SPARSE_CHOICES: EncodeChoice[] = [
  ...[0.1, 0.01, 0.001].flatMap((density) => [
    { density, bits: 8 as const, indexCoding: IndexCoding.Varint },
    { density, bits: 8 as const, indexCoding: IndexCoding.Rice },
    { density, bits: 4 as const, indexCoding: IndexCoding.Rice },
  ]),
  { density: 0.1, bits: 8, indexCoding: IndexCoding.Bitmap },
  { density: 0.01, bits: 32, indexCoding: IndexCoding.Varint },
  { density: 0.01, bits: 16, indexCoding: IndexCoding.Rice },
];
