/**
 * Rényi-DP accounting for the sampled Gaussian mechanism (Mironov, Talwar and Zhang,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", 2019), as DP-FedAvg
 * (McMahan et al., ICLR 2018) uses it: each published version sums updates clipped to L2
 * norm C from devices that took part with probability q, plus N(0, σ²C²) per coordinate.
 *
 * One application costs ε_α = log(A_α) / (α − 1) at order α, where A_α is the α-th moment
 * of the likelihood ratio between N(1, σ²) mixed with N(0, σ²) at rate q and N(0, σ²);
 * applications compose by adding their ε_α; a total converts to (ε, δ)-DP by Balle et
 * al. 2020 (Theorem 21), the conversion TensorFlow Privacy and Opacus use:
 *   ε = min over α of  ε_α + log((α − 1)/α) − (log δ + log α)/(α − 1).
 */
import erfc from "@stdlib/math-base-special-erfc";
import erfcx from "@stdlib/math-base-special-erfcx";

/** Opacus's default orders: 1.1, 1.2, …, 10.9, then 12, 13, …, 63. */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, x) => 12 + x),
];

/** log(e^a + e^b), exact for -Infinity. */
function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  return hi === Number.NEGATIVE_INFINITY ? hi : hi + Math.log1p(Math.exp(lo - hi));
}

/** log(e^a − e^b) for a ≥ b. */
function logSub(a: number, b: number): number {
  if (b > a) throw new RangeError(`log of a negative difference (${a} < ${b})`);
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a === b) return Number.NEGATIVE_INFINITY;
  return a + Math.log(-Math.expm1(b - a));
}

/** log(erfc(x)) without underflow in the far tail: erfc(x) = erfcx(x)·e^(−x²). */
function logErfc(x: number): number {
  return x > 0 ? Math.log(erfcx(x)) - x * x : Math.log(erfc(x));
}

/** log A_α for an integer α ≥ 2: the binomial expansion, every term positive. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  let logBinom = 0; // log C(α, 0)
  for (let i = 0; i <= alpha; i++) {
    const term =
      logBinom + i * Math.log(q) + (alpha - i) * Math.log1p(-q) + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
    logBinom += Math.log(alpha - i) - Math.log(i + 1);
  }
  return logA;
}

/**
 * log A_α for a fractional α > 1: the two-sided series of Mironov et al. 2019 (§3.3),
 * split at z₀ = σ²·log(1/q − 1) + ½ where the two mixture components cross. Its binomial
 * coefficients change sign once i > α; the series is summed until both terms are below e^−30.
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const s2 = Math.SQRT2 * sigma;
  let positive = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const negative = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  let logAbsBinom = 0;
  let sign = 1;
  for (let i = 0; ; i++) {
    const j = alpha - i;
    const t0 = logAbsBinom + i * Math.log(q) + j * Math.log1p(-q);
    const t1 = logAbsBinom + j * Math.log(q) + i * Math.log1p(-q);
    const e0 = Math.log(0.5) + logErfc((i - z0) / s2);
    const e1 = Math.log(0.5) + logErfc((z0 - j) / s2);
    const s0 = t0 + (i * i - i) / (2 * sigma * sigma) + e0;
    const s1 = t1 + (j * j - j) / (2 * sigma * sigma) + e1;
    const into = sign > 0 ? positive : negative;
    into[0] = logAdd(into[0]!, s0);
    into[1] = logAdd(into[1]!, s1);
    if (Math.max(s0, s1) < -30) break;
    // C(α, i+1) = C(α, i)·(α − i)/(i + 1)
    const factor = (alpha - i) / (i + 1);
    if (factor < 0) sign = -sign;
    logAbsBinom += Math.log(Math.abs(factor));
    if (i > 100_000) throw new RangeError(`the series for α = ${alpha} did not converge`);
  }
  positive = [logSub(positive[0]!, negative[0]!), logSub(positive[1]!, negative[1]!)];
  return logAdd(positive[0]!, positive[1]!);
}

/**
 * ε_α of one application of the Gaussian mechanism with noise multiplier σ (noise std
 * over L2 sensitivity), each participant included with probability q, at each order.
 */
export function sampledGaussianRdp(q: number, sigma: number, orders: readonly number[]): number[] {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${q}`);
  if (!(sigma > 0)) throw new RangeError(`noise multiplier must be > 0, got ${sigma}`);
  return orders.map((alpha) => {
    if (!(alpha > 1)) throw new RangeError(`orders must be > 1, got ${alpha}`);
    if (q === 0) return 0;
    if (alpha === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    if (q === 1) return alpha / (2 * sigma * sigma);
    const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
    return logA / (alpha - 1);
  });
}

/** The smallest ε such that a mechanism with these RDP values at these orders is (ε, δ)-DP, and its order. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
): { epsilon: number; order: number } {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  if (orders.length !== rdp.length || orders.length === 0) {
    throw new RangeError(`${orders.length} orders for ${rdp.length} RDP values`);
  }
  let best = { epsilon: Number.POSITIVE_INFINITY, order: Number.NaN };
  orders.forEach((alpha, i) => {
    const eps = rdp[i]! + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: alpha };
  });
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}
