/**
 * The native C baseline: native.c (the kernels' algorithm in C) compiled with
 * gcc -O3 -march=native into a temporary directory, fed the very payload bytes the other
 * implementations get through a file, and its printed rate parsed. Each turn is a fresh
 * process, as the other implementations get a fresh accumulator each round. Without gcc
 * the benchmark runs without this column.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Timing } from "./measure";

/** native.c's code for the dense weighted sum (its input file is x). */
export const WEIGHTED_SUM = -1;

export interface NativeResult {
  perSec: number;
  squaredNorm: number;
}

/** One turn of the native kernel on a prepared input: a fresh process. */
export type NativeRun = (timing: Pick<Timing, "runs" | "minMs">) => NativeResult;

export interface Native {
  /** The compiler that built it, for the report. */
  readonly compiler: string;
  /** Writes the input to a file once, for every turn the returned function runs on it. */
  prepare(codec: number, payload: Uint8Array, dim: number, scale: number): NativeRun;
  dispose(): void;
}

/** Compiles native.c, or returns the reason it cannot (no gcc, or a failed build). */
export function buildNative(): Native | string {
  const dir = mkdtempSync(join(tmpdir(), "fedge-bench-"));
  const binary = join(dir, "native");
  const source = fileURLToPath(new URL("./native.c", import.meta.url));
  const build = spawnSync("gcc", ["-O3", "-march=native", "-o", binary, source, "-lm"], { encoding: "utf8" });
  if (build.error || build.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return build.error ? `gcc not available (${build.error.message})` : `gcc failed: ${build.stderr.trim()}`;
  }
  const version = spawnSync("gcc", ["-dumpfullversion"], { encoding: "utf8" }).stdout.trim();
  let inputs = 0;
  return {
    compiler: `gcc ${version} -O3 -march=native`,
    prepare(codec, payload, dim, scale) {
      const input = join(dir, `payload-${inputs++}.bin`);
      writeFileSync(input, payload);
      return ({ runs, minMs }) => {
        const args = [input, String(codec), String(dim), String(scale), String(minMs), String(runs)];
        const result = spawnSync(binary, args, { encoding: "utf8" });
        const out = JSON.parse(result.stdout) as { code: number } & NativeResult;
        if (out.code !== 0) throw new Error(`native kernel refused the payload: code ${out.code}`);
        return { perSec: out.perSec, squaredNorm: out.squaredNorm };
      };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
