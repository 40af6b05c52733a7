/**
 * FedYogi (Reddi et al., ICLR 2021, Algorithm 2; Yogi: Zaheer et al., NeurIPS 2018):
 * v_t = v_{t−1} − (1 − β₂) Δ_t² sign(v_{t−1} − Δ_t²), an additive second moment that
 * grows no faster than Adam's when gradients shrink. Defaults as FedAdam.
 */
import { type FedOptConfig, fedOpt } from "./fedopt";
import type { ServerOptimizer } from "./optimizer";

export function fedYogi(config: FedOptConfig): ServerOptimizer {
  return fedOpt("fedyogi", config, (v, d2, beta2) => v - (1 - beta2) * d2 * Math.sign(v - d2), true);
}
