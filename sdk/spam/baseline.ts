/**
 * The centralized baseline a federated run is judged against: one trainer holding the whole
 * training split, trained exactly as a device trains (same trainer, same SGD, learning rate
 * and batch size), scored on the test split after every epoch.
 */
import { initialWeights } from "../../shared/model-init";
import { TaskConfigSchema } from "../../shared/protocol/task-config";
import { type Message, splitTrainTest } from "./dataset";
import { featurize } from "./features";
import type { Evaluation } from "./metrics";
import { modelSpec, type SpamModel } from "./model";
import { DEFAULT_TRAIN_OPTIONS, spamTrainer, type TrainOptions } from "./trainer";

export interface BaselineOptions {
  model: SpamModel;
  /** Default DEFAULT_TRAIN_OPTIONS[model.kind]. */
  train?: TrainOptions;
  l2?: number;
  /** Seeds the initial weights (`model.init`) and the shuffles; default 0. */
  seed?: number;
}

export interface BaselineResult {
  train: TrainOptions;
  trainExamples: number;
  /** The test split's loss and accuracy after each epoch. */
  epochs: Evaluation[];
}

export function centralizedBaseline(messages: readonly Message[], options: BaselineOptions): BaselineResult {
  const { model, seed = 0 } = options;
  const train = options.train ?? DEFAULT_TRAIN_OPTIONS[model.kind];
  const split = splitTrainTest(messages);
  const buckets = model.buckets;
  const trainer = spamTrainer({
    model,
    train: split.train.map((m) => featurize(m, buckets)),
    evaluation: split.test.map((m) => featurize(m, buckets)),
    l2: options.l2,
    seed,
  });
  // Version 0 as the server would publish it, from the task config's init.
  const weights = initialWeights(TaskConfigSchema.shape.model.parse(modelSpec(model, seed)));
  const epochs: Evaluation[] = [];
  for (let epoch = 0; epoch < train.epochs; epoch++) {
    const { update } = trainer.train(weights, { ...train, epochs: 1 });
    for (let j = 0; j < weights.length; j++) weights[j]! += update[j]!;
    epochs.push(trainer.evaluate(weights));
  }
  return { train, trainExamples: split.train.length, epochs };
}
