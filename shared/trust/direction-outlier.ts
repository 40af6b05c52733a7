/**
 * Direction outliers: an update whose cosine with a reference direction is below a
 * threshold. The references are the cluster's robust aggregate of the same version (a
 * direction a Byzantine minority cannot set) and the last global delta (the direction
 * training has been moving in). A sign-flipped update scores near −1 against both. The
 * default threshold, 0, is FLTrust's (Cao, Fang, Liu & Gong, NDSS 2021, §IV-B), whose
 * trust score ReLU(cos) gives no weight to an update pointing away from the reference.
 */
import { cosine, l2Norm } from "./vectors";
import { fmt, type Verdict } from "./verdict";

export interface DirectionOutlierOptions {
  /** Suspicious below this cosine. FLTrust's ReLU cuts at 0. */
  minCosine?: number;
  /** What the reference is, for the reason: "the cluster's robust aggregate", "the last global delta". */
  referenceName?: string;
}

/** Score: cos ∠(update, reference). A zero update or reference has no direction and is not judged. */
export function directionOutlier(
  update: Float32Array,
  reference: Float32Array,
  options: DirectionOutlierOptions = {},
): Verdict {
  const minCosine = options.minCosine ?? 0;
  const name = options.referenceName ?? "the reference direction";
  if (l2Norm(update) === 0 || l2Norm(reference) === 0) {
    return {
      kind: "direction-outlier",
      suspicious: false,
      score: 0,
      reason: `no direction to compare with ${name}`,
    };
  }
  const score = cosine(update, reference);
  return {
    kind: "direction-outlier",
    suspicious: score < minCosine,
    score,
    reason: `cosine ${fmt(score)} with ${name} (threshold ${minCosine})`,
  };
}

export interface PersistentOptions {
  /** From this many cosines on record, the mean must be below `maxMeanCosine`… */
  fullUpdates?: number;
  /** …and below this. */
  maxMeanCosine?: number;
  /**
   * A single cosine must be below this; with 2 … fullUpdates − 1 on record the bound moves
   * linearly from here to `maxMeanCosine`: the mean of a few cosines varies less than one.
   */
  maxSingleCosine?: number;
  /** What the cosines were taken with, for the reason. */
  referenceName?: string;
}

/**
 * A device's updates against a reference over time: `cosines` are its recent updates'
 * cosines with the reference each was judged by (the model's drift). One update's cosine
 * says little on label-skewed data — an honest device holding mostly one class can point
 * against the drift, and a batch's median of three or four updates is no reference
 * either — but a device whose every update leans against where training goes is
 * consistent about it: a sign-flipped honest update keeps its device's skew, reversed.
 * The mean over several updates separates what one cosine cannot, so the bound it must
 * pass loosens as evidence accumulates: far out for one update, a little below 0 for many.
 * Score: the mean cosine.
 */
export function persistentlyAgainst(cosines: readonly number[], options: PersistentOptions = {}): Verdict {
  const full = Math.max(1, options.fullUpdates ?? 5);
  const maxMean = options.maxMeanCosine ?? -0.1;
  const maxSingle = options.maxSingleCosine ?? -0.4;
  const name = options.referenceName ?? "the reference direction";
  const n = cosines.length;
  if (n === 0) {
    return {
      kind: "direction-outlier",
      suspicious: false,
      score: 0,
      reason: `no updates judged against ${name}`,
    };
  }
  const bound =
    n >= full || full === 1 ? maxMean : maxSingle + ((maxMean - maxSingle) * (n - 1)) / (full - 1);
  const mean = cosines.reduce((a, b) => a + b, 0) / n;
  return {
    kind: "direction-outlier",
    suspicious: mean < bound,
    score: mean,
    reason: `mean cosine ${fmt(mean)} of its last ${n} update${n === 1 ? "" : "s"} with ${name} (threshold ${fmt(bound)})`,
  };
}
