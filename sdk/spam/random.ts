/**
 * Seeded sampling for the data pipeline: shuffles and Dirichlet draws, reproducible from a
 * 32-bit seed on every platform (no Math.random), built on fedge's mulberry32.
 */
import { mulberry32 } from "../../shared/model-init";

export type Random = () => number;

export function seededRandom(seed: number): Random {
  return mulberry32(seed);
}

/** In-place Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm 3.4.2P). */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A standard normal draw (Box–Muller; 1 − u keeps the logarithm finite). */
function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * log X for X ~ Gamma(shape, 1): Marsaglia and Tsang, "A simple method for generating gamma
 * variables", ACM TOMS 26(3), 2000, with their boost for shape < 1,
 * Gamma(a) = Gamma(a + 1) · U^(1/a). Returned as a logarithm because for small shapes
 * U^(1/a) underflows to 0 in floating point (a = 0.01 and U < 0.1 already give < 1e-100).
 */
function logGamma(shape: number, random: Random): number {
  const boost = shape < 1 ? Math.log(1 - random()) / shape : 0;
  const d = (shape < 1 ? shape + 1 : shape) - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d * v) + boost;
  }
}

/** A draw from Dirichlet(concentration): normalized Gamma(αᵢ, 1) draws, normalized in log space. */
export function dirichlet(concentration: readonly number[], random: Random): number[] {
  const logs = concentration.map((alpha) => logGamma(alpha, random));
  const max = Math.max(...logs);
  const weights = logs.map((l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}
