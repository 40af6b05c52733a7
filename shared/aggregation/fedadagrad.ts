/**
 * FedAdagrad (Reddi et al., ICLR 2021, Algorithm 2): v_t = v_{t−1} + Δ_t², a running sum,
 * so bias correction applies to m only. Defaults as FedAdam (β₂ is unused).
 */
import { type FedOptConfig, fedOpt } from "./fedopt";
import type { ServerOptimizer } from "./optimizer";

export function fedAdagrad(config: FedOptConfig): ServerOptimizer {
  return fedOpt("fedadagrad", config, (v, d2) => v + d2, false);
}
