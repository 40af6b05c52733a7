/**
 * FedMedian: the coordinate-wise median (Yin, Chen, Ramchandran & Bartlett,
 * "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018,
 * Definition 1), unweighted as in Flower's `aggregate_median` (`np.median`): the middle
 * value for an odd count, the mean of the two middle values for an even one.
 */
import { checkInputs } from "./aggregator";

export function fedMedian(
  models: readonly Float32Array[],
  weights: readonly number[],
  _options: Record<string, never> = {},
): Float32Array {
  checkInputs("fedMedian", models, weights);
  return Float32Array.from(coordinateMedian(models));
}

/** The coordinate-wise median of equally long models, in float64 (Bulyan's reference too). */
export function coordinateMedian(models: readonly Float32Array[]): Float64Array {
  const n = models.length;
  const dim = models[0]!.length;
  const column = new Float64Array(n);
  const out = new Float64Array(dim);
  const mid = n >> 1;
  for (let c = 0; c < dim; c++) {
    for (let i = 0; i < n; i++) column[i] = models[i]![c]!;
    column.sort();
    out[c] = n % 2 === 1 ? column[mid]! : (column[mid - 1]! + column[mid]!) / 2;
  }
  return out;
}
