/**
 * The discrete Gaussian N_Z(0, σ²): P(x) ∝ exp(−x²/2σ²) on the integers (Canonne, Kamath and
 * Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020, Algorithms 2 and
 * 3): a discrete Laplace proposal with scale t = ⌊σ⌋ + 1, accepted with probability
 * exp(−(|Y| − σ²/t)² / 2σ²). Distributed DP (Kairouz, Liu and Steinke, ICML 2021) has each
 * device add one to its fixed-point update before masking, so the sum carries the noise and
 * no device or server sees it alone. Outputs are integers, so the floating-point leak of
 * continuous samplers does not arise; the Bernoulli trials use 53-bit uniforms from
 * crypto.getRandomValues (./uniform.ts) rather than the paper's exact rational arithmetic.
 */
import { cryptoUniform, type Uniform } from "./uniform";

/** One draw from N_Z(0, σ²); `uniform` gives doubles in [0, 1). */
export function discreteGaussian(sigma: number, uniform: Uniform): number {
  if (!(sigma > 0 && Number.isFinite(sigma)))
    throw new RangeError(`sigma must be finite and > 0, got ${sigma}`);
  const t = Math.floor(sigma) + 1;
  const s2 = sigma * sigma;
  for (;;) {
    const y = discreteLaplace(t, uniform);
    const d = Math.abs(y) - s2 / t;
    if (uniform() < Math.exp(-(d * d) / (2 * s2))) return y;
  }
}

/** Algorithm 2: P(x) ∝ exp(−|x|/t), as U + t·V with a sign, rejecting −0. */
function discreteLaplace(t: number, uniform: Uniform): number {
  for (;;) {
    const u = Math.floor(uniform() * t);
    if (uniform() >= Math.exp(-u / t)) continue;
    let v = 0;
    while (uniform() < Math.exp(-1)) v++;
    const x = u + t * v;
    const negative = uniform() < 0.5;
    if (negative && x === 0) continue;
    return negative ? -x : x;
  }
}

/** Adds an independent N_Z(0, σ²) draw to each word, mod 2³² (the masked-input domain). */
export function addDiscreteGaussian(words: Uint32Array, sigma: number, uniform = cryptoUniform()): void {
  for (let i = 0; i < words.length; i++) words[i]! += discreteGaussian(sigma, uniform);
}
