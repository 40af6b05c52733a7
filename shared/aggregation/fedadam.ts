/**
 * FedAdam (Reddi et al., ICLR 2021, Algorithm 2): v_t = β₂ v_{t−1} + (1 − β₂) Δ_t².
 * Defaults from the paper's experiments: η = 10⁻², β₁ = 0.9, β₂ = 0.99, τ = 10⁻³.
 */
import { type FedOptConfig, fedOpt } from "./fedopt";
import type { ServerOptimizer } from "./optimizer";

export function fedAdam(config: FedOptConfig): ServerOptimizer {
  return fedOpt("fedadam", config, (v, d2, beta2) => beta2 * v + (1 - beta2) * d2, true);
}
