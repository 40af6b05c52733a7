/**
 * What the client needs from the model code. `Trainer` is structurally identical to the one
 * the spam model declares (sdk/spam/trainer.ts); it is declared here too so that the core
 * depends on no particular model. The client also accepts trainers and evaluators that
 * return promises (an onnxruntime-web session runs asynchronously).
 */
export interface TrainOptions {
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** The fraction of its usual work to do, in (0, 1]: fewer examples or steps on a tired battery. */
  workScale?: number;
}

export interface TrainResult {
  /** Δ = local weights − the weights trained from. */
  update: Float32Array;
  /** Training examples used; the update's weight in FedAvg. */
  examples: number;
  loss: number;
}

export interface EvaluationResult {
  loss: number;
  accuracy: number;
  examples: number;
}

export interface Trainer {
  train(weights: Float32Array, options: TrainOptions): TrainResult;
  evaluate(weights: Float32Array): EvaluationResult;
}

type MaybePromise<T> = T | Promise<T>;

/** Any trainer the client can drive, synchronous or not. */
export interface LocalTrainer {
  train(weights: Float32Array, options: TrainOptions): MaybePromise<TrainResult>;
}

/** Any evaluator the client can drive, synchronous or not. */
export interface Evaluator {
  evaluate(weights: Float32Array): MaybePromise<EvaluationResult>;
}
