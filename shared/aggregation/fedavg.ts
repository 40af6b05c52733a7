/**
 * FedAvg's server step (McMahan et al., "Communication-Efficient Learning of Deep
 * Networks from Decentralized Data", AISTATS 2017, Algorithm 1), written in the
 * pseudo-gradient form of Reddi et al. ("Adaptive Federated Optimization", ICLR 2021,
 * Algorithm 1 with the server optimizer being SGD):
 *
 *   Δ = Σᵢ nᵢ·Δᵢ / Σᵢ nᵢ      (Δᵢ = wᵢ − w: the device's update, nᵢ its examples)
 *   w ← w + η · Δ
 *
 * With η = 1 this is exactly McMahan's weighted model average.
 */
import type { KernelBackend } from "../kernels/accumulator";

export interface WeightedSum {
  /** Σ nᵢ·Δᵢ */
  sum: Float32Array;
  /** Σ nᵢ */
  weight: number;
}

export function fedAvgStep(
  current: Float32Array,
  aggregate: WeightedSum,
  serverLearningRate: number,
  backend: KernelBackend,
): Float32Array {
  if (!(aggregate.weight > 0)) throw new RangeError(`aggregate weight must be > 0, got ${aggregate.weight}`);
  const next = backend.createAccumulator(current.length);
  next.addWeighted(current, 1);
  next.addWeighted(aggregate.sum, serverLearningRate / aggregate.weight);
  return next.snapshot();
}
