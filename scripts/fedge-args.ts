/**
 * The fedge CLI's argument checks, apart from its I/O so they can be tested: every bad
 * invocation becomes a UsageError with a one-line message, never a stack trace, and nothing
 * is encoded that the service would refuse (or, worse, accept as a different number).
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface FrameArgs {
  values: Float32Array;
  weight: number;
  base: number;
  layoutHash: string;
  /** Lower-case hex, or undefined for a random one. */
  updateId: string | undefined;
}

/** The largest finite float32: a larger magnitude would be written as ±Infinity. */
const F32_MAX = 3.4028234663852886e38;
const U32_MAX = 0xffff_ffff;

const FRAME_OPTIONS = {
  values: { type: "string" },
  weight: { type: "string" },
  base: { type: "string", default: "0" },
  "layout-hash": { type: "string" },
  "update-id": { type: "string" },
} satisfies ParseArgsConfig["options"];

/** `frame`'s options, checked: finite float32 values, a positive float32 weight, a u32 base. */
export function parseFrameArgs(args: string[]): FrameArgs {
  const values = parse(args);
  if (values.values === undefined) throw new UsageError("--values is required");
  if (values.weight === undefined) throw new UsageError("--weight is required");
  if (values["layout-hash"] === undefined) throw new UsageError("--layout-hash is required");

  const numbers = values.values.split(",").map((text, index) => {
    const n = number(text, `--values item ${index}`);
    if (Math.abs(n) > F32_MAX)
      throw new UsageError(`--values item ${index} (${text.trim()}) is beyond float32's range (±3.4e38)`);
    return n;
  });
  const weight = number(values.weight, "--weight");
  if (!(weight > 0) || Math.fround(weight) === 0 || weight > F32_MAX)
    throw new UsageError(`--weight must be a number > 0 that float32 can hold, not ${values.weight}`);
  const base = number(values.base, "--base");
  if (!Number.isInteger(base) || base < 0 || base > U32_MAX)
    throw new UsageError(`--base must be an integer from 0 to ${U32_MAX}, not ${values.base}`);
  const layoutHash = values["layout-hash"];
  if (!/^[0-9a-f]{8}$/i.test(layoutHash)) throw new UsageError("--layout-hash must be 8 hex digits");
  const updateId = values["update-id"];
  if (updateId !== undefined && !/^[0-9a-f]{32}$/i.test(updateId))
    throw new UsageError("--update-id must be 32 hex digits");
  return {
    values: Float32Array.from(numbers),
    weight,
    base,
    layoutHash: layoutHash.toLowerCase(),
    updateId: updateId?.toLowerCase(),
  };
}

/** A decimal number; empty items, `Infinity`, `NaN` and hex are refused. */
function number(text: string, what: string): number {
  const trimmed = text.trim();
  if (trimmed === "") throw new UsageError(`${what} is empty`);
  const n = Number(trimmed);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed) || !Number.isFinite(n))
    throw new UsageError(`${what} (${trimmed}) is not a finite decimal number`);
  return n;
}

/**
 * node:util's parseArgs, with its errors as UsageErrors, and a negative number accepted as an
 * option's value (`--values -0.5,1`, `--weight -5`) so that the value's own check answers.
 */
function parse(args: string[]) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name !== undefined && name in FRAME_OPTIONS && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  try {
    return parseArgs({ args: joined, options: FRAME_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(firstSentence((error as Error).message));
  }
}

/** parseArgs' messages run on with advice meant for its own API; the first sentence names the problem. */
function firstSentence(message: string): string {
  return message.split(/(?<=\.)\s/)[0]?.replace(/\.$/, "") ?? message;
}
