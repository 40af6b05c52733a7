/**
 * fedge's aggregation maths, in one place, so anyone can check it against published
 * reference values: the server optimizers, the pseudo-gradient, staleness weights,
 * clipping and the robust aggregators.
 * Each function cites its paper and equation; docs/architecture.md gives the equations.
 */
import { fedAdagrad } from "./fedadagrad";
import { fedAdam } from "./fedadam";
import { fedAvg } from "./fedavg";
import { fedAvgM } from "./fedavgm";
import type { FedOptConfig } from "./fedopt";
import { fedYogi } from "./fedyogi";
import type { ServerOptimizer } from "./optimizer";

export { pseudoGradient, type WeightedSum } from "./average";
export { type ClippingConfig, clipBound, clipFactor } from "./clipping";
export { fedAdagrad } from "./fedadagrad";
export { fedAdam } from "./fedadam";
export { fedAvg } from "./fedavg";
export { fedAvgM } from "./fedavgm";
export type { FedOptConfig } from "./fedopt";
export { fedYogi } from "./fedyogi";
export { initialState, type OptimizerState, type ServerOptimizer } from "./optimizer";
export type { RobustAggregator } from "./robust/aggregator";
export { type BulyanOptions, bulyan, meanOfClosest } from "./robust/bulyan";
export { fedMedian } from "./robust/fed-median";
export { type KrumOptions, krum } from "./robust/krum";
export { type MultiKrumOptions, multiKrum } from "./robust/multi-krum";
export { type RobustAggregation, robustAggregate } from "./robust/robust-aggregate";
export { type TrimmedMeanOptions, trimmedMean } from "./robust/trimmed-mean";
export { type StalenessFunction, stalenessWeight } from "./staleness";

export type OptimizerConfig =
  | { kind: "fedavg"; serverLearningRate: number }
  | { kind: "fedavgm"; serverLearningRate: number; momentum: number }
  | ({ kind: "fedadam" | "fedyogi" | "fedadagrad" } & FedOptConfig);

export function createOptimizer(config: OptimizerConfig): ServerOptimizer {
  switch (config.kind) {
    case "fedavg":
      return fedAvg(config);
    case "fedavgm":
      return fedAvgM(config);
    case "fedadam":
      return fedAdam(config);
    case "fedyogi":
      return fedYogi(config);
    case "fedadagrad":
      return fedAdagrad(config);
  }
}
