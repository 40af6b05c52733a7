/**
 * Multi-Krum (Blanchard et al., NeurIPS 2017, §5): the m models of lowest Krum score
 * (see ./krum.ts), averaged by sample weight as in Flower's `aggregate_krum` with
 * `to_keep = m`. m = 1 is Krum; m = n is FedAvg. Ties in score go to the lower index.
 */
import { checkF, checkInputs } from "./aggregator";
import { krumScores, squaredDistances } from "./krum";

export interface MultiKrumOptions {
  /** The number of Byzantine models tolerated. */
  f: number;
  /** How many of the lowest-scoring models to average. */
  m: number;
}

export function multiKrum(
  models: readonly Float32Array[],
  weights: readonly number[],
  options: MultiKrumOptions,
): Float32Array {
  const dim = checkInputs("multiKrum", models, weights);
  checkF("multiKrum", options.f);
  const n = models.length;
  const { m } = options;
  if (!(Number.isInteger(m) && m >= 1 && m <= n)) {
    throw new RangeError(`multiKrum needs an integer m with 1 ≤ m ≤ n: n = ${n}, m = ${m}`);
  }
  const all = Array.from({ length: n }, (_, i) => i);
  const scores = krumScores(squaredDistances(models), n, all, options.f);
  // Array.prototype.sort is stable, so equal scores keep index order.
  const chosen = all.sort((a, b) => scores[a]! - scores[b]!).slice(0, m);
  let total = 0;
  for (const i of chosen) total += weights[i]!;
  if (!(total > 0)) throw new RangeError(`multiKrum: the ${m} selected models' weights sum to ${total}`);
  const sum = new Float64Array(dim);
  for (const i of chosen) {
    const x = models[i]!;
    const w = weights[i]!;
    for (let c = 0; c < dim; c++) sum[c]! += w * x[c]!;
  }
  const out = new Float32Array(dim);
  for (let c = 0; c < dim; c++) out[c] = sum[c]! / total;
  return out;
}
