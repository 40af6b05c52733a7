/**
 * FedAvgM: FedAvg with server momentum (Hsu, Qi and Brown, "Measuring the Effects of
 * Non-Identical Data Distribution for Federated Visual Classification", 2019, §3):
 *
 *   v_t     = β v_{t−1} + Δ_t            (v_0 = 0)
 *   x_{t+1} = x_t + η v_t
 *
 * Defaults η = 1, β = 0.9 (Hsu et al. sweep β ∈ [0, 0.99]; 0.9 is their usual choice).
 */
import { checkDims, type ServerOptimizer, slot } from "./optimizer";

export interface FedAvgMConfig {
  serverLearningRate: number;
  momentum: number;
}

export function fedAvgM(config: FedAvgMConfig): ServerOptimizer {
  const { serverLearningRate: eta, momentum: beta } = config;
  return {
    kind: "fedavgm",
    slots: ["v"],
    apply(weights, delta, state) {
      checkDims(weights, delta);
      const v = slot(state, "v", weights.length);
      const next = new Float32Array(weights.length);
      for (let i = 0; i < next.length; i++) {
        v[i] = beta * v[i]! + delta[i]!;
        next[i] = weights[i]! + eta * v[i]!;
      }
      state.step += 1;
      return next;
    },
  };
}
