/**
 * Norm outliers by the modified z-score (Iglewicz & Hoaglin, "How to Detect and Handle
 * Outliers", ASQC Basic References in Quality Control 16, 1993; NIST/SEMATECH e-Handbook
 * of Statistical Methods §1.3.5.17):
 *
 *   Mᵢ = 0.6745 (xᵢ − x̃) / MAD,   MAD = median |xⱼ − x̃|,
 *
 * with |M| > 3.5 labelled a potential outlier. 0.6745 is Φ⁻¹(¾), which makes MAD / 0.6745
 * estimate σ for normal data; median and MAD ignore up to half the sample, so a few
 * scaled (×10) or zero updates among the recent norms do not hide the next one.
 *
 * When more than half the recent norms are equal, MAD = 0. The score then falls back to
 * the mean absolute deviation from the median, scaled by √(π/2) ≈ 1.2533 (which likewise
 * estimates σ for normal data); when every recent norm is equal, any other norm scores ∞.
 */
import { median } from "../aggregation/clipping";
import { fmt, type Verdict } from "./verdict";

export interface NormOutlierOptions {
  /** |M| above this is suspicious. Iglewicz & Hoaglin: 3.5. */
  threshold?: number;
  /** Fewer recent norms than this and nothing is judged. */
  minHistory?: number;
  /**
   * A norm within this fraction of the median is never an outlier, however tight the
   * recent norms are: with few, nearly equal norms the MAD is tiny and M flags ordinary
   * spread. Default 0 (M alone decides).
   */
  minRelativeDeviation?: number;
}

const MAD_CONSISTENCY = 0.6745;
const MEAN_AD_CONSISTENCY = Math.sqrt(Math.PI / 2);

/** M for `x` against `sample` (not including x); NaN for an empty sample. */
export function modifiedZScore(x: number, sample: readonly number[]): number {
  if (sample.length === 0) return Number.NaN;
  const center = median(sample);
  const deviations = sample.map((v) => Math.abs(v - center));
  const mad = median(deviations);
  if (mad > 0) return (MAD_CONSISTENCY * (x - center)) / mad;
  const meanAd = deviations.reduce((a, b) => a + b, 0) / deviations.length;
  if (meanAd > 0) return (x - center) / (MEAN_AD_CONSISTENCY * meanAd);
  return x === center ? 0 : Math.sign(x - center) * Number.POSITIVE_INFINITY;
}

/**
 * Judges an update's L2 norm against the norms of recently accepted updates. Score: |M|.
 * Both tails count: an update far smaller than its peers is as suspect as a far larger one.
 */
export function normOutlier(
  norm: number,
  recentNorms: readonly number[],
  options: NormOutlierOptions = {},
): Verdict {
  const threshold = options.threshold ?? 3.5;
  const minHistory = options.minHistory ?? 5;
  if (recentNorms.length < minHistory) {
    return {
      kind: "norm-outlier",
      suspicious: false,
      score: 0,
      reason: `${recentNorms.length} recent norms, fewer than the ${minHistory} needed to judge`,
    };
  }
  const m = modifiedZScore(norm, recentNorms);
  const score = Math.abs(m);
  const side = m > 0 ? "above" : "below";
  const center = median(recentNorms);
  const near = Math.abs(norm - center) <= (options.minRelativeDeviation ?? 0) * center;
  return {
    kind: "norm-outlier",
    suspicious: score > threshold && !near,
    score,
    reason: `norm ${fmt(norm)} is ${fmt(score)} robust standard deviations ${side} the median ${fmt(median(recentNorms))} of ${recentNorms.length} recent norms (threshold ${threshold})`,
  };
}
