/**
 * How the benchmark times a kernel: a warm-up (so that V8 has tiered the code up), then
 * `runs` runs of at least `minMs` each, and the best run's rate; and, to compare
 * implementations, `rounds` rounds in which each takes its turn. The best and not the
 * median, and in turns, because the reference machine is a shared 2-vCPU VM with steal
 * time: other tenants can only ever slow a run down, and a slow spell then hits every
 * implementation alike instead of whichever happened to run in it. native.c measures
 * its runs the same way.
 */
export interface Timing {
  runs: number;
  minMs: number;
  rounds: number;
}

/** Elements per second of op, which processes `elements` per call. */
export function throughput(elements: number, op: () => void, { runs, minMs }: Timing): number {
  const warm = performance.now();
  while (performance.now() - warm < minMs / 2) op();
  let best = 0;
  for (let r = 0; r < runs; r++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      op();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    best = Math.max(best, (calls * elements) / (elapsed / 1000));
  }
  return best;
}

/** The best rate each measurement returns over timing.rounds rounds, taking turns (absent ones skipped). */
export function bestOfRounds<M extends Record<string, (() => number) | undefined>>(
  measures: M,
  timing: Timing,
): { [K in keyof M]: number } {
  const best: Record<string, number> = {};
  for (let round = 0; round < timing.rounds; round++) {
    for (const [key, measure] of Object.entries(measures)) {
      if (measure) best[key] = Math.max(best[key] ?? 0, measure());
    }
  }
  return best as { [K in keyof M]: number };
}
