/**
 * Bulyan (El Mhamdi, Guerraoui & Rouault, "The Hidden Vulnerability of Distributed
 * Learning in Byzantium", ICML 2018, §4), as Flower's `aggregate_bulyan` with Krum:
 *
 * 1. select θ = n − 2f models by Krum applied repeatedly, each time to the models not
 *    yet selected (k shrinks with them: max(1, |remaining| − f − 2));
 * 2. per coordinate, average the β = θ − 2f selected values closest to the selected
 *    models' coordinate-wise median.
 *
 * The paper's guarantee needs n ≥ 4f + 3, which is enforced. Sample weights are ignored.
 * Ties go to the lower input index, in the Krum selection and among equally close values
 * (Flower's `np.argpartition` leaves the latter unspecified). The tie rule matters more
 * than for Krum alone: a round with k = 1 scores each model by its nearest neighbour's
 * distance, so the closest remaining pair always ties, and with f ≤ 2 the last rounds
 * have k = 1. The result can then depend on the input order.
 */
import { checkF, checkInputs } from "./aggregator";
import { coordinateMedian } from "./fed-median";
import { argMin, krumScores, squaredDistances } from "./krum";

export interface BulyanOptions {
  /** The number of Byzantine models tolerated. */
  f: number;
}

export function bulyan(
  models: readonly Float32Array[],
  weights: readonly number[],
  options: BulyanOptions,
): Float32Array {
  checkInputs("bulyan", models, weights);
  const { f } = options;
  checkF("bulyan", f);
  const n = models.length;
  if (n < 4 * f + 3) throw new RangeError(`bulyan needs n ≥ 4f + 3: n = ${n}, f = ${f}`);
  const theta = n - 2 * f;
  const distances = squaredDistances(models);
  const remaining = Array.from({ length: n }, (_, i) => i);
  const selected: number[] = [];
  for (let t = 0; t < theta; t++) {
    const best = argMin(krumScores(distances, n, remaining, f));
    selected.push(remaining[best]!);
    remaining.splice(best, 1);
  }
  selected.sort((a, b) => a - b);
  const chosen = selected.map((i) => models[i]!);
  return meanOfClosest(coordinateMedian(chosen), chosen, theta - 2 * f);
}

/**
 * Per coordinate, the mean of the `beta` values closest to `reference` there (Bulyan's
 * second step; Flower's `_aggregate_n_closest_weights`). Equally close values are taken
 * in model order.
 */
export function meanOfClosest(
  reference: ArrayLike<number>,
  models: readonly Float32Array[],
  beta: number,
): Float32Array {
  const n = models.length;
  if (!(Number.isInteger(beta) && beta >= 1 && beta <= n)) {
    throw new RangeError(`meanOfClosest needs an integer beta with 1 ≤ beta ≤ ${n} models, got ${beta}`);
  }
  const dim = reference.length;
  const gap = new Float64Array(n);
  const order = new Int32Array(n);
  const out = new Float32Array(dim);
  for (let c = 0; c < dim; c++) {
    const ref = reference[c]!;
    // Insertion sort by distance: n is small (θ models), it allocates nothing, and it is
    // stable, which is the tie rule.
    for (let i = 0; i < n; i++) {
      const d = Math.abs(models[i]![c]! - ref);
      let p = i;
      while (p > 0 && gap[p - 1]! > d) {
        gap[p] = gap[p - 1]!;
        order[p] = order[p - 1]!;
        p--;
      }
      gap[p] = d;
      order[p] = i;
    }
    let sum = 0;
    for (let t = 0; t < beta; t++) sum += models[order[t]!]![c]!;
    out[c] = sum / beta;
  }
  return out;
}
