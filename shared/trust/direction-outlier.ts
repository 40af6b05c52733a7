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
