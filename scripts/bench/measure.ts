/**
 * How the benchmark times the implementations of one workload: in `rounds` interleaved
 * rounds (A B C D, A B C D, …), each implementation taking one turn per round; a turn is a
 * warm-up (so that V8 has tiered the code up and the fresh accumulator's pages are
 * mapped), then `runs` runs of at least `minMs` each, and the turn's figure is its best
 * run. Interleaved because the reference machine is a shared 2-vCPU VM with steal time: a
 * slow spell then hits the implementations of one round alike, and the ratios, taken
 * round by round (./stats.ts), cancel it. The best run within a turn because other
 * tenants only ever slow a run down; the median over rounds because a whole turn can
 * still land in a slow spell, and a single best over many rounds would report the
 * luckiest one. native.c times its runs the same way.
 */
export interface Timing {
  rounds: number;
  runs: number;
  minMs: number;
}

/** One turn: elements per second of op, which processes `elements` per call. */
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

/**
 * Each measurement's figure in every round, the measurements taking turns in their
 * declared order within a round (absent ones skipped): samples[key][r] is round r's.
 */
export function interleavedRounds<K extends string>(
  measures: { [key in K]?: (() => number) | undefined },
  rounds: number,
): { [key in K]?: number[] } {
  const samples: { [key in K]?: number[] } = {};
  const turns = Object.entries(measures).filter(
    (entry): entry is [K, () => number] => entry[1] !== undefined,
  );
  for (const [key] of turns) samples[key] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [key, measure] of turns) samples[key]!.push(measure());
  }
  return samples;
}
