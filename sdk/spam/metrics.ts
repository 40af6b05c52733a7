/** Binary classification metrics, computed from logits so the loss stays finite when σ(z) rounds to 0 or 1. */

export interface Evaluation {
  /** Mean binary cross-entropy (nats). */
  loss: number;
  /** Fraction classified correctly at the 0.5 threshold. */
  accuracy: number;
  examples: number;
}

export function sigmoid(logit: number): number {
  return 1 / (1 + Math.exp(-logit));
}

/** −log σ(z) for spam, −log(1 − σ(z)) for ham, as softplus(z) − y·z in its overflow-free form. */
export function logLoss(logit: number, spam: boolean): number {
  return Math.max(logit, 0) - (spam ? logit : 0) + Math.log1p(Math.exp(-Math.abs(logit)));
}

export function evaluateLogits(logits: ArrayLike<number>, labels: readonly { spam: boolean }[]): Evaluation {
  if (logits.length !== labels.length) throw new RangeError("one logit per label");
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < logits.length; i++) {
    const spam = labels[i]!.spam;
    loss += logLoss(logits[i]!, spam);
    if (logits[i]! >= 0 === spam) correct++;
  }
  const n = logits.length;
  return { loss: n === 0 ? 0 : loss / n, accuracy: n === 0 ? 0 : correct / n, examples: n };
}
