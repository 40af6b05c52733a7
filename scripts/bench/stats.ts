/**
 * How the benchmark summarizes a measurement repeated over rounds: its median, its
 * quartiles and its extremes; and the ratio of two implementations taken round by round,
 * so that a slow spell of the machine, which slows both sides of a round alike, cancels
 * out of the ratio instead of landing on whichever side it happened to hit.
 */

/** A sample summarized: the median, the quartiles (q3 − q1 is the interquartile range) and the extremes. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/**
 * The p-quantile of ascending samples, interpolated linearly between order statistics
 * (Hyndman and Fan's definition 7, "Sample quantiles in statistical packages", 1996; the
 * default of R and NumPy).
 */
function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const below = sorted[Math.floor(h)]!;
  const above = sorted[Math.ceil(h)]!;
  return below + (h - Math.floor(h)) * (above - below);
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error("spread: no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

/** a[r] / b[r] for every round r: both measured in the same round. */
export function perRoundRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`perRoundRatios: ${a.length} rounds against ${b.length}`);
  return a.map((x, r) => x / b[r]!);
}
