/**
 * Logistic regression over hashed binary features: z = b + Σ_{i ∈ ids} w[i]. The gradient
 * of the log loss is (σ(z) − y) on the bias and on every present feature.
 */

import { sigmoid } from "./metrics";
import type { Network } from "./network";

export function logisticRegression(buckets: number): Network {
  const bias = buckets;
  const logit = (weights: Float32Array, ids: Int32Array) => {
    let z = weights[bias]!;
    for (const i of ids) z += weights[i]!;
    return z;
  };
  return {
    buckets,
    rowSize: 1,
    parameters: buckets + 1,
    layout: [
      { name: "w", shape: [buckets], offset: 0 },
      { name: "b", shape: [1], offset: bias },
    ],
    logit,
    accumulateGradient(weights, ids, spam, gradient, scale) {
      const z = logit(weights, ids);
      const dz = scale * (sigmoid(z) - (spam ? 1 : 0));
      for (const i of ids) gradient[i]! += dz;
      gradient[bias]! += dz;
      return z;
    },
  };
}
