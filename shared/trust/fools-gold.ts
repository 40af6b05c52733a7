/**
 * FoolsGold (Fung, Yoon & Beschastnikh, "The Limitations of Federated Learning in Sybil
 * Settings", RAID 2020, Algorithm 1): Sybils pushing one poisoning objective send updates
 * that stay alike round after round, while honest devices' data make theirs diverge. So
 * each device's aggregate history Hᵢ = Σₜ Δᵢ,ₜ is compared with every other's:
 *
 *   csᵢⱼ = cos(Hᵢ, Hⱼ),   vᵢ = maxⱼ csᵢⱼ
 *   pardoning: csᵢⱼ ← csᵢⱼ · vᵢ / vⱼ  when vⱼ > vᵢ   (an honest device that merely
 *              resembles a Sybil is not punished as one)
 *   αᵢ = 1 − maxⱼ csᵢⱼ,  α ← α / maxᵢ αᵢ
 *   αᵢ ← κ (ln(αᵢ / (1 − αᵢ)) + 0.5), clipped to [0, 1]
 *
 * The maxima include 0, as the authors' code (DistributedML/FoolsGold) does by leaving
 * the diagonal's 1 − 1 in them: a device unlike every other has v = 0 and α = 1, and a
 * negative v cannot flip the pardoning's sign. The paper's optional importance weighting
 * of features (S_t) is omitted: every parameter counts alike. When every α is 0 (every
 * history a copy of another) FoolsGold cannot tell honest from Sybil; all weights are 0.
 */
import { cosine } from "./vectors";
import { fmt, type Verdict } from "./verdict";

export interface DeviceHistory {
  deviceId: string;
  /** Σ of the device's accepted updates (see addToHistory). */
  history: Float32Array;
}

export interface FoolsGoldOptions {
  /** κ, the logit's confidence. The paper and the authors' code use 1. */
  kappa?: number;
  /** A weight below this is reported as suspicious. */
  suspiciousBelow?: number;
}

export interface FoolsGoldResult {
  /** Per device, in input order, in [0, 1]: the factor on its aggregation weight. */
  weights: number[];
  verdicts: Verdict[];
}

/** Hᵢ + Δ, as a new array (the first update starts the history). */
export function addToHistory(history: Float32Array | undefined, update: Float32Array): Float32Array {
  if (history === undefined) return update.slice();
  if (history.length !== update.length) {
    throw new RangeError(`addToHistory: history has length ${history.length}, update ${update.length}`);
  }
  return history.map((h, i) => h + update[i]!);
}

const COPY_TOLERANCE = 1e-9;

export function foolsGold(
  devices: readonly DeviceHistory[],
  options: FoolsGoldOptions = {},
): FoolsGoldResult {
  const kappa = options.kappa ?? 1;
  const suspiciousBelow = options.suspiciousBelow ?? 0.5;
  const n = devices.length;
  // A device listed twice would be its own twin (cosine 1) and flagged as a Sybil.
  if (new Set(devices.map((d) => d.deviceId)).size !== n) {
    throw new RangeError("foolsGold: each device's history must be listed once");
  }
  const cs = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const c = cosine(devices[i]!.history, devices[j]!.history);
      cs[i]![j] = c;
      cs[j]![i] = c;
    }
  }
  const v = cs.map((row, i) => Math.max(0, ...Array.from(row).filter((_, j) => j !== i)));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j && v[j]! > v[i]!) cs[i]![j]! *= v[i]! / v[j]!;
    }
  }
  const nearest = cs.map((row, i) => {
    let best = -1;
    for (let j = 0; j < n; j++) if (j !== i && (best < 0 || row[j]! > row[best]!)) best = j;
    return best;
  });
  const similarity = cs.map((row, i) => Math.max(0, nearest[i]! >= 0 ? row[nearest[i]!]! : 0));
  // A cosine within rounding of 1 is a copy; left as 1 − 0.9999999999999998 it would be
  // normalized up to 1 when every history is a copy.
  const alpha = similarity.map((s) => (s > 1 - COPY_TOLERANCE ? 0 : Math.min(1, 1 - s)));
  const top = Math.max(0, ...alpha);
  const weights = alpha.map((a) => {
    if (top === 0) return 0;
    const normalized = a / top;
    if (normalized >= 1) return 1;
    if (normalized <= 0) return 0;
    return Math.min(1, Math.max(0, kappa * (Math.log(normalized / (1 - normalized)) + 0.5)));
  });
  const verdicts = devices.map((_, i): Verdict => {
    const weight = weights[i]!;
    const twin =
      nearest[i]! >= 0 && similarity[i]! > 0 ? ` with device ${devices[nearest[i]!]!.deviceId}'s` : "";
    return {
      kind: "similar-history",
      suspicious: weight < suspiciousBelow,
      score: similarity[i]!,
      reason: `history's highest pardoned cosine${twin} is ${fmt(similarity[i]!)}; FoolsGold weight ${fmt(weight)}`,
    };
  });
  return { weights, verdicts };
}
