/**
 * Replayed global movement (Lin, Du & Liu, "Free-riders in Federated Learning: Attacks and
 * Defenses", arXiv:1911.12560, 2019 — the "delta weights" free rider): a device that does
 * not train sends back how the global model moved since a version it saw earlier,
 * w_b − w_a, as its own update. It knows only versions it downloaded, so b is at most the
 * version it was assigned, and a is any earlier one — not necessarily b − 1: a device
 * that skips rounds replays several versions' movement at once, which matches none of the
 * single-step deltas.
 *
 * Given the global model's drift wᵥ − w₀ at recent versions, the movement from a to b is
 * drift_b − drift_a; the update is judged against every such movement ending at its base
 * version. An honest update correlates with where the model went (its data are part of
 * the reason) but does not reproduce it: in the spam scenario honest cosines with these
 * movements stayed below 0.83, replays scored 1.
 */
import { fmt, type Verdict } from "./verdict";

export interface ReplayOptions {
  /** Suspicious at or above this cosine with a movement. */
  minCosine?: number;
}

/**
 * Score: the highest cosine of `update` with drift_b − drift_a, over the versions a < b
 * in `drifts` (version → wᵥ − w₀), b = `baseVersion`. Not judged when the base version's
 * drift is unknown or the update is zero.
 */
export function replayedMovement(
  update: Float32Array,
  drifts: ReadonlyMap<number, Float32Array>,
  baseVersion: number,
  options: ReplayOptions = {},
): Verdict {
  const minCosine = options.minCosine ?? 0.95;
  const end = drifts.get(baseVersion);
  let uu = 0;
  for (let j = 0; j < update.length; j++) uu += update[j]! * update[j]!;
  if (end === undefined || end.length !== update.length || uu === 0) {
    return {
      kind: "free-rider",
      suspicious: false,
      score: 0,
      reason: `no movement of the global model to version ${baseVersion} known`,
    };
  }
  let best = Number.NEGATIVE_INFINITY;
  let from = -1;
  for (const [version, start] of drifts) {
    if (version >= baseVersion || start.length !== update.length) continue;
    let um = 0;
    let mm = 0;
    for (let j = 0; j < update.length; j++) {
      const m = end[j]! - start[j]!;
      um += update[j]! * m;
      mm += m * m;
    }
    if (mm === 0) continue;
    const c = um / Math.sqrt(uu * mm);
    if (c > best) {
      best = c;
      from = version;
    }
  }
  if (from < 0) {
    return {
      kind: "free-rider",
      suspicious: false,
      score: 0,
      reason: `no version before ${baseVersion} known to measure the model's movement from`,
    };
  }
  const suspicious = best >= minCosine;
  return {
    kind: "free-rider",
    suspicious,
    score: best,
    reason: suspicious
      ? `replays the global model's movement from version ${from} to ${baseVersion}: cosine ${fmt(best)} ≥ ${minCosine}`
      : `highest cosine with the global model's movement to version ${baseVersion} is ${fmt(best)} (from version ${from}; threshold ${minCosine})`,
  };
}
