/**
 * The one interface every robust aggregator implements, and the input checks they share.
 *
 * A robust aggregator replaces the sample-weighted mean of the devices' models (or
 * updates) by a statistic that a minority of arbitrary inputs cannot drag arbitrarily
 * far. Each takes the models, their sample weights and its options, and returns a new
 * array of the models' length. Flower's `aggregate_median`, `aggregate_trimmed_avg` and
 * `aggregate_bulyan` ignore the sample weights, and so do ours; only Multi-Krum averages
 * its selection by weight.
 */
export type RobustAggregator<Options> = (
  models: readonly Float32Array[],
  weights: readonly number[],
  options: Options,
) => Float32Array;

/** Refuses empty input, a weight count that differs from the model count, models of different lengths and weights that are not finite and ≥ 0; returns the models' length. */
export function checkInputs(
  name: string,
  models: readonly Float32Array[],
  weights: readonly number[],
): number {
  if (models.length === 0) throw new RangeError(`${name}: no models to aggregate`);
  if (weights.length !== models.length) {
    throw new RangeError(`${name}: ${weights.length} weights for ${models.length} models`);
  }
  const dim = models[0]!.length;
  for (let i = 0; i < models.length; i++) {
    if (models[i]!.length !== dim) {
      throw new RangeError(`${name}: models[${i}] has length ${models[i]!.length}, models[0] has ${dim}`);
    }
    const w = weights[i]!;
    if (!(Number.isFinite(w) && w >= 0)) {
      throw new RangeError(`${name}: weights[${i}] must be a finite number ≥ 0, got ${w}`);
    }
  }
  return dim;
}

/** f, the number of Byzantine inputs tolerated, must be a whole number ≥ 0. */
export function checkF(name: string, f: number): void {
  if (!(Number.isInteger(f) && f >= 0)) throw new RangeError(`${name}: f must be an integer ≥ 0, got ${f}`);
}
