/**
 * The robust aggregators by name, so a task can select one (`aggregation.robust`) and a
 * cluster run it over the updates in its log. Tolerance, with n inputs per cluster:
 * median and Bulyan up to ⌈n/2⌉ − 1 and ⌊(n − 3)/4⌋ Byzantine inputs, the trimmed mean
 * ⌊β·n⌋, Krum and Multi-Krum f with n > 2f + 2 (the papers' conditions).
 */
import { type BulyanOptions, bulyan } from "./bulyan";
import { fedMedian } from "./fed-median";
import { type KrumOptions, krum } from "./krum";
import { type MultiKrumOptions, multiKrum } from "./multi-krum";
import { type TrimmedMeanOptions, trimmedMean } from "./trimmed-mean";

export type RobustAggregation =
  | { kind: "median" }
  | ({ kind: "trimmed-mean" } & TrimmedMeanOptions)
  | ({ kind: "krum" } & KrumOptions)
  | ({ kind: "multi-krum" } & MultiKrumOptions)
  | ({ kind: "bulyan" } & BulyanOptions);

export function robustAggregate(
  config: RobustAggregation,
  models: readonly Float32Array[],
  weights: readonly number[],
): Float32Array {
  switch (config.kind) {
    case "median":
      return fedMedian(models, weights);
    case "trimmed-mean":
      return trimmedMean(models, weights, config);
    case "krum":
      return krum(models, weights, config);
    case "multi-krum":
      return multiKrum(models, weights, config);
    case "bulyan":
      return bulyan(models, weights, config);
  }
}
