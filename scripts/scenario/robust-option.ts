/** `--robust SPEC`: a cluster aggregator as the task config's `aggregation.robust` takes it. */
import type { RobustAggregation } from "../../shared/aggregation/index";

export type Robust = RobustAggregation | { kind: "mean" };

const SHAPES: Record<Robust["kind"], string[]> = {
  mean: [],
  median: [],
  "trimmed-mean": ["beta"],
  krum: ["f"],
  "multi-krum": ["f", "m"],
  bulyan: ["f"],
};

/** "trimmed-mean:0.1" → { kind: "trimmed-mean", beta: 0.1 }; the task config validates the ranges. */
export function parseRobust(spec: string): Robust {
  const [kind, ...args] = spec.split(":");
  if (!kind || !(kind in SHAPES)) {
    throw new Error(`unknown aggregator "${kind}"; one of ${Object.keys(SHAPES).join(", ")}`);
  }
  const names = SHAPES[kind as Robust["kind"]];
  if (args.length !== names.length) {
    throw new Error(`${kind} takes ${names.length ? names.join(":") : "no parameters"}, got "${spec}"`);
  }
  const values = args.map(Number);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${kind}: ${names[bad]} must be a number, got "${args[bad]}"`);
  return Object.fromEntries([["kind", kind], ...names.map((n, i) => [n, values[i]])]) as Robust;
}

/** The inverse of parseRobust. */
export function robustName(robust: Robust): string {
  const names = SHAPES[robust.kind];
  return [robust.kind, ...names.map((n) => String((robust as unknown as Record<string, number>)[n]))].join(
    ":",
  );
}
