/**
 * The spam filter's two models and their place in fedge: one flat Float32Array of weights
 * whose tensor layout is the task's `model.layout` (shared/protocol/task-config.ts).
 */
import type { TaskConfigInput, TensorLayout } from "../../shared/protocol/task-config";
import { embeddingBagMlp } from "./embedding-bag-mlp";
import { DEFAULT_BUCKETS } from "./features";
import { logisticRegression } from "./logistic-regression";
import { sigmoid } from "./metrics";
import type { Network } from "./network";

export type ModelKind = "logistic" | "mlp";

export interface SpamModel {
  kind: ModelKind;
  /** Hash buckets B; default 2^18. */
  buckets?: number;
  /** Hidden units of the MLP; default 16, ignored for logistic regression. */
  hidden?: number;
}

export const DEFAULT_HIDDEN = 16;

/**
 * Uniform initialization in ±INIT_SCALE for the MLP. All-zero weights would leave it stuck
 * at zero: with E = 0 and w2 = 0 every gradient except b2's vanishes. fedge draws the
 * initial weights from the task config, so this travels as `model.init`.
 */
const INIT_SCALE = 0.1;

export function network(model: SpamModel): Network {
  const buckets = model.buckets ?? DEFAULT_BUCKETS;
  return model.kind === "logistic"
    ? logisticRegression(buckets)
    : embeddingBagMlp(buckets, model.hidden ?? DEFAULT_HIDDEN);
}

/** Tensor layout of the flat weights: `w` [B], `b` [1]; or `embedding` [B, h], `b1` [h], `w2` [h], `b2` [1]. */
export function layout(kind: ModelKind, buckets: number = DEFAULT_BUCKETS, hidden?: number): TensorLayout {
  return network({ kind, buckets, hidden }).layout;
}

/** The `model` section of a fedge task config for this model. */
export function modelSpec(model: SpamModel, seed = 0): TaskConfigInput["model"] {
  const net = network(model);
  return {
    parameters: net.parameters,
    layout: net.layout,
    init: model.kind === "logistic" ? { kind: "zeros" } : { kind: "uniform", scale: INIT_SCALE, seed },
  };
}

/** P(spam) for a message given as sorted distinct bucket ids (`featurize`). */
export function predict(model: SpamModel, weights: Float32Array, ids: Int32Array): number {
  const net = network(model);
  if (weights.length !== net.parameters) throw new RangeError(`expected ${net.parameters} weights`);
  return sigmoid(net.logit(weights, ids));
}
