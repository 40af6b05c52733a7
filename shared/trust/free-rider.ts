/**
 * Free riders (Lin, Du & Liu, "Free-riders in Federated Learning: Attacks and Defenses",
 * arXiv:1911.12560, 2019): devices that report work without doing it, by returning
 *
 * - the global model unchanged: a zero update;
 * - the last global delta Wₜ − Wₜ₋₁ as their own (the "delta weights" attack);
 * - random noise dressed as an update (the "disguised" free rider).
 *
 * Noise is recognised by two statistics, both O(d): it points nowhere, so its cosine with
 * every honest direction is within the ±3/√d band of a random direction in d dimensions
 * (the cosine of a fixed vector and a uniformly random one has variance 1/d); and its
 * norm is the one Gaussian noise of its own spread would have, ‖u‖ ≈ √(π/2)·mean|uᵢ|·√d
 * (Geary's ratio, "The Ratio of the Mean Deviation to the Standard Deviation as a Test of
 * Normality", Biometrika 1935: mean|x| / σ = √(2/π) for a centred normal). Honest updates
 * are sparse and heavy-tailed, so their norm is several times that.
 */
import { median } from "../aggregation/clipping";
import { cosine, l2Norm, meanAbs } from "./vectors";
import { fmt, type Verdict } from "./verdict";

export interface FreeRiderContext {
  /** The last global delta, if the task has one yet. */
  globalDelta?: Float32Array | undefined;
  /** Directions an honest update correlates with: the cluster's robust aggregate, other devices' updates. */
  references?: readonly Float32Array[] | undefined;
  /** Norms of recently accepted updates, for the relative zero test. */
  recentNorms?: readonly number[] | undefined;
}

export interface FreeRiderOptions {
  /** A norm at or below this is zero, whatever the history. */
  zeroNorm?: number;
  /** A norm at or below this fraction of the median recent norm is zero. */
  zeroFraction?: number;
  /** ‖u − g‖ ≤ this × ‖g‖ replays the global delta g. */
  replayTolerance?: number;
  /** |cos| below this with every reference points nowhere; default 3/√d. */
  noiseCosine?: number;
  /** |‖u‖ / (√(π/2)·mean|uᵢ|·√d) − 1| within this is noise-shaped. */
  noiseNormTolerance?: number;
}

const GAUSSIAN_NORM_PER_MEAN_ABS = Math.sqrt(Math.PI / 2);

/**
 * Score: the statistic of the test that decided — the norm (zero), ‖u − g‖ / ‖g‖ (replay),
 * or the highest |cosine| with a reference (noise, and when nothing matched).
 */
export function freeRider(
  update: Float32Array,
  context: FreeRiderContext,
  options: FreeRiderOptions = {},
): Verdict {
  const norm = l2Norm(update);
  const recent = context.recentNorms ?? [];
  const zeroBound = Math.max(
    options.zeroNorm ?? 1e-12,
    recent.length > 0 ? (options.zeroFraction ?? 0.01) * median(recent) : 0,
  );
  if (norm <= zeroBound) {
    return {
      kind: "free-rider",
      suspicious: true,
      score: norm,
      reason: `zero update: norm ${fmt(norm)} ≤ ${fmt(zeroBound)}`,
    };
  }

  const g = context.globalDelta;
  if (g !== undefined && g.length === update.length) {
    const gNorm = l2Norm(g);
    if (gNorm > 0) {
      let squared = 0;
      for (let i = 0; i < g.length; i++) squared += (update[i]! - g[i]!) ** 2;
      const distance = Math.sqrt(squared) / gNorm;
      const tolerance = options.replayTolerance ?? 0.05;
      if (distance <= tolerance) {
        return {
          kind: "free-rider",
          suspicious: true,
          score: distance,
          reason: `replays the last global delta: ‖u − g‖ / ‖g‖ = ${fmt(distance)} ≤ ${tolerance}`,
        };
      }
    }
  }

  const references = (context.references ?? []).filter((r) => r.length === update.length && l2Norm(r) > 0);
  if (references.length === 0) {
    return {
      kind: "free-rider",
      suspicious: false,
      score: 1,
      reason: "no reference direction to judge noise by",
    };
  }
  const alignment = Math.max(...references.map((r) => Math.abs(cosine(update, r))));
  const band = options.noiseCosine ?? 3 / Math.sqrt(update.length);
  const ratio = norm / (GAUSSIAN_NORM_PER_MEAN_ABS * meanAbs(update) * Math.sqrt(update.length));
  const noiseShaped = Math.abs(ratio - 1) <= (options.noiseNormTolerance ?? 0.1);
  const suspicious = alignment < band && noiseShaped;
  return {
    kind: "free-rider",
    suspicious,
    score: alignment,
    reason: suspicious
      ? `random noise: highest |cosine| with a reference ${fmt(alignment)} is within the noise band ${fmt(band)}, and norm / Gaussian norm is ${fmt(ratio)}`
      : `highest |cosine| with a reference ${fmt(alignment)} (noise band ${fmt(band)}), norm / Gaussian norm ${fmt(ratio)}`,
  };
}
