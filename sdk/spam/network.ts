/**
 * What the trainer needs from a model over hashed tokens. Every model here starts with a
 * table of `buckets` rows of `rowSize` parameters, one row per bucket, followed by a small
 * dense head; a message touches only its own rows, which is what makes sparse SGD cheap.
 */
import type { TensorLayout } from "../../shared/protocol/task-config";

export interface Network {
  readonly buckets: number;
  readonly rowSize: number;
  /** Length of the flat weight vector: buckets · rowSize + the head. */
  readonly parameters: number;
  readonly layout: TensorLayout;
  /** The logit z of P(spam) = σ(z) for a message given as sorted distinct bucket ids. */
  logit(weights: Float32Array, ids: Int32Array): number;
  /**
   * Adds scale · ∂loss/∂weights for one message to `gradient` (same layout as the weights),
   * writing only the message's rows and the head, and returns the message's logit.
   */
  accumulateGradient(
    weights: Float32Array,
    ids: Int32Array,
    spam: boolean,
    gradient: Float32Array,
    scale: number,
  ): number;
}
