/**
 * Coordinate-wise trimmed mean (Yin et al., ICML 2018, Definition 2): per coordinate,
 * drop the ⌊β·n⌋ smallest and ⌊β·n⌋ largest values and average the rest, unweighted, as
 * Flower's `aggregate_trimmed_avg` does after `scipy.stats.trim_mean`. A β that leaves
 * no value is refused (Flower raises only when the cuts cross and returns NaN when they
 * meet).
 */
import { checkInputs } from "./aggregator";

export interface TrimmedMeanOptions {
  /** The fraction cut from each tail, per coordinate. */
  beta: number;
}

export function trimmedMean(
  models: readonly Float32Array[],
  weights: readonly number[],
  options: TrimmedMeanOptions,
): Float32Array {
  const dim = checkInputs("trimmedMean", models, weights);
  const n = models.length;
  const { beta } = options;
  if (!(Number.isFinite(beta) && beta >= 0)) {
    throw new RangeError(`trimmedMean: beta must be a finite number ≥ 0, got ${beta}`);
  }
  const cut = Math.floor(beta * n);
  const kept = n - 2 * cut;
  if (kept < 1) {
    throw new RangeError(
      `trimmedMean: beta = ${beta} cuts ${cut} of n = ${n} values from each tail, leaving none`,
    );
  }
  const column = new Float64Array(n);
  const out = new Float32Array(dim);
  for (let c = 0; c < dim; c++) {
    for (let i = 0; i < n; i++) column[i] = models[i]![c]!;
    column.sort();
    let sum = 0;
    for (let i = cut; i < n - cut; i++) sum += column[i]!;
    out[c] = sum / kept;
  }
  return out;
}
