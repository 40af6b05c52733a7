/**
 * What a detector says about one update: whether it looks like gaming, the statistic it
 * judged by (`score`, documented per detector) and a sentence for the admin view.
 */
export type DetectionKind =
  | "norm-outlier"
  | "direction-outlier"
  | "exact-duplicate"
  | "near-duplicate"
  | "similar-history"
  | "free-rider"
  | "too-fast";

export interface Verdict {
  kind: DetectionKind;
  suspicious: boolean;
  score: number;
  reason: string;
}

/** Numbers in reasons: four significant digits are enough to read and to compare. */
export function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);
}
