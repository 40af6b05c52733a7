/**
 * The adaptive server optimizers of Reddi et al., "Adaptive Federated Optimization"
 * (ICLR 2021), Algorithm 2 (FedAdagrad, FedAdam, FedYogi). They share the first moment
 * and the update, and differ only in the second moment v_t:
 *
 *   m_t     = β₁ m_{t−1} + (1 − β₁) Δ_t                        (m_0 = 0)
 *   v_t     = secondMoment(v_{t−1}, Δ_t²)                      (v_0 = 0)
 *   x_{t+1} = x_t + η m̂_t / (√v̂_t + τ)
 *
 * Bias correction (Kingma and Ba, "Adam", ICLR 2015, Algorithm 1) is optional and on by
 * default: m̂_t = m_t / (1 − β₁ᵗ), and v̂_t = v_t / (1 − β₂ᵗ) for the exponential-average
 * second moments (Adam, Yogi); FedAdagrad's v_t is a plain sum and is never rescaled.
 * Without it, m̂ = m and v̂ = v, as in Reddi et al.'s Algorithm 2. Reddi et al. start
 * from v_{−1} ≥ τ²; we start from 0 and keep τ in the denominator, which bounds the
 * first step by η / τ · |m̂| just the same.
 */
import { checkDims, type ServerOptimizer, slot } from "./optimizer";

export interface FedOptConfig {
  serverLearningRate: number;
  beta1: number;
  beta2: number;
  tau: number;
  biasCorrection: boolean;
}

export type SecondMoment = (vPrev: number, deltaSquared: number, beta2: number) => number;

export function fedOpt(
  kind: string,
  config: FedOptConfig,
  secondMoment: SecondMoment,
  /** Whether v_t is an exponential average that bias correction rescales. */
  exponentialV: boolean,
): ServerOptimizer {
  const { serverLearningRate: eta, beta1, beta2, tau, biasCorrection } = config;
  return {
    kind,
    slots: ["m", "v"],
    apply(weights, delta, state) {
      checkDims(weights, delta);
      const m = slot(state, "m", weights.length);
      const v = slot(state, "v", weights.length);
      const t = state.step + 1;
      const mScale = biasCorrection ? 1 / (1 - beta1 ** t) : 1;
      const vScale = biasCorrection && exponentialV ? 1 / (1 - beta2 ** t) : 1;
      const next = new Float32Array(weights.length);
      for (let i = 0; i < next.length; i++) {
        const d = delta[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * d;
        v[i] = secondMoment(v[i]!, d * d, beta2);
        next[i] = weights[i]! + (eta * m[i]! * mScale) / (Math.sqrt(v[i]! * vScale) + tau);
      }
      state.step = t;
      return next;
    },
  };
}
