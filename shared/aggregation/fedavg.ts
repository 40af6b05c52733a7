/**
 * FedAvg (McMahan et al., "Communication-Efficient Learning of Deep Networks from
 * Decentralized Data", AISTATS 2017, Algorithm 1) in the pseudo-gradient form of Reddi
 * et al. (ICLR 2021, Algorithm 1, server optimizer SGD):
 *
 *   x_{t+1} = x_t + η Δ_t
 *
 * With η = 1 and Δ_t the sample-weighted mean of the devices' updates, this is exactly
 * McMahan's weighted model average. Default η = 1.
 */
import { checkDims, type ServerOptimizer } from "./optimizer";

export interface FedAvgConfig {
  serverLearningRate: number;
}

export function fedAvg(config: FedAvgConfig): ServerOptimizer {
  const eta = config.serverLearningRate;
  return {
    kind: "fedavg",
    slots: [],
    apply(weights, delta, state) {
      checkDims(weights, delta);
      const next = new Float32Array(weights.length);
      for (let i = 0; i < next.length; i++) next[i] = weights[i]! + eta * delta[i]!;
      state.step += 1;
      return next;
    },
  };
}
