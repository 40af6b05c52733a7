/**
 * Trust at a cluster (docs/architecture.md#trust): when a batch is sealed, the cluster
 * decodes its updates, runs the gaming detectors of shared/trust on each, updates each
 * device's reputation, and gives each update a factor on its aggregation weight — 0 for
 * one flagged by any detector, else its reputation's factor times its FoolsGold weight.
 * Then it aggregates: the weighted mean (with every factor 1, exactly the log's running
 * sum), or the task's robust aggregator over the updates (shared/aggregation/robust).
 *
 * What an update is here: xᵢ = s(τᵢ)·cᵢ·Δᵢ (staleness weight and clipping applied, as the
 * log's scale nᵢ·s·c holds them) with weight nᵢ; the batch sends Σ fᵢnᵢ·r and weight Σ fᵢnᵢ,
 * where r is the (robust) aggregate of the xᵢ weighted by fᵢnᵢ.
 *
 * The detectors see only this cluster: a Sybil group spread over clusters, or an attack
 * that looks honest inside each cluster, is beyond them (clustering decides what a cluster
 * sees). Histories (FoolsGold), the last aggregate and recent payload digests are soft state.
 */

import { type RobustAggregation, robustAggregate } from "../shared/aggregation/index";
import { decodeToDense } from "../shared/codecs/decoder";
import {
  addToHistory,
  aggregationWeightFactor,
  directionOutlier,
  exactDuplicate,
  foolsGold,
  freeRider,
  initialReputation,
  minimumWorkMs,
  nearDuplicate,
  normOutlier,
  quarantine,
  type ReputationConfig,
  type ReputationState,
  recordInteraction,
  reputationOf,
  tooFast,
  type Upload,
  type Verdict,
} from "../shared/trust/index";

export interface TrustPolicy {
  /** Run the detectors and reputation; off, every factor is 1. */
  detect: boolean;
  robust: RobustAggregation | { kind: "mean" };
  /** Below this many ms of work per example since the assignment, an update is impossibly fast (0: off). */
  minMsPerExample: number;
  reputation: ReputationConfig;
}

export interface BatchInput {
  id: string;
  device: string;
  codec: number;
  payload: Uint8Array;
  /** nᵢ·s(τᵢ)·cᵢ */
  scale: number;
  /** nᵢ */
  weight: number;
  /** ‖Δᵢ‖ */
  norm: number;
  version: number;
  /** From the assignment at check-in to the upload; null if unknown. */
  elapsedMs: number | null;
}

export interface Judgement {
  /** Factor per input id, in [0, 1]. */
  factors: Map<string, number>;
  /** Every suspicious verdict, with its device. */
  detections: { device: string; verdict: Verdict }[];
  /** Devices newly quarantined, until when. */
  quarantined: Map<string, number>;
  /** Reputation per device after this batch. */
  reputations: Map<string, ReputationState>;
}

/** How many recent uploads' digests a cluster remembers for replay detection. */
const RECENT_UPLOADS = 200;
/** Norms within this fraction of the recent median are never outliers (honest spread). */
const NORM_SPREAD = 0.5;
/** A FoolsGold match counts only at this pardoned cosine between two devices' histories. */
const SYBIL_SIMILARITY = 0.95;

export class ClusterTrust {
  /** Σ of each member's updates (FoolsGold's history), for the devices in recent batches. */
  #histories = new Map<string, Float32Array>();
  #lastAggregate: Float32Array | undefined;
  #recent: Upload[] = [];

  /**
   * Judges a batch: `reputations` gives each device's stored reputation (absent: new),
   * `recentNorms` the cluster's accepted norms before this batch.
   */
  judge(
    inputs: readonly BatchInput[],
    dim: number,
    policy: TrustPolicy,
    reputations: ReadonlyMap<string, ReputationState>,
    recentNorms: readonly number[],
    now: number,
  ): Judgement {
    const factors = new Map(inputs.map((i) => [i.id, 1]));
    const judgement: Judgement = { factors, detections: [], quarantined: new Map(), reputations: new Map() };
    if (!policy.detect || inputs.length === 0) return judgement;
    const updates = inputs.map((i) => decodeToDense(i.codec, i.payload, dim));
    const reference = robustAggregate(
      { kind: "median" },
      updates,
      inputs.map((i) => i.weight),
    );
    const digests = inputs.map((i) => ({ deviceId: i.device, hash: digest(i.payload), version: i.version }));
    const verdicts = inputs.map((input, k): Verdict[] => {
      const update = updates[k]!;
      const others = inputs.flatMap((o, j) => (j !== k ? [{ deviceId: o.device, update: updates[j]! }] : []));
      const found = [
        normOutlier(input.norm, recentNorms, { minRelativeDeviation: NORM_SPREAD }),
        directionOutlier(update, reference, { referenceName: "the batch's coordinate median" }),
        exactDuplicate(digests[k]!, [...this.#recent, ...digests.filter((_, j) => j !== k)]),
        nearDuplicate({ deviceId: input.device, update }, others),
        freeRider(update, {
          globalDelta: this.#lastAggregate,
          references: [reference, ...others.map((o) => o.update)],
          recentNorms,
        }),
      ];
      if (policy.minMsPerExample > 0 && input.elapsedMs !== null) {
        const minimum = minimumWorkMs({ samples: input.weight, epochs: 1 }, policy.minMsPerExample);
        found.push(tooFast(input.elapsedMs, minimum));
      }
      return found.filter((v) => v.suspicious);
    });
    // FoolsGold (Fung et al., RAID 2020) over the histories of the devices nothing else
    // flagged. Its continuous re-weighting assumes honest histories differ (non-IID data);
    // where honest devices agree it would down-weight them, so only a Sybil-grade match —
    // a pardoned cosine of at least SYBIL_SIMILARITY with another history — counts.
    inputs.forEach((input, k) => {
      this.#histories.set(input.device, addToHistory(this.#histories.get(input.device), updates[k]!));
    });
    const clean = inputs.flatMap((input, k) => (verdicts[k]!.length === 0 ? [input.device] : []));
    if (clean.length >= 3) {
      const gold = foolsGold(
        clean.map((deviceId) => ({ deviceId, history: this.#histories.get(deviceId)! })),
      );
      clean.forEach((device, g) => {
        const verdict = gold.verdicts[g]!;
        if (verdict.suspicious && verdict.score >= SYBIL_SIMILARITY) {
          for (const [k, input] of inputs.entries()) if (input.device === device) verdicts[k]!.push(verdict);
        }
      });
    }

    inputs.forEach((input, k) => {
      const flagged = verdicts[k]!;
      for (const verdict of flagged) judgement.detections.push({ device: input.device, verdict });
      const interaction = flagged.length > 0 ? "detected" : "useful";
      const before =
        judgement.reputations.get(input.device) ?? reputations.get(input.device) ?? initialReputation(now);
      const after = recordInteraction(before, interaction, now, policy.reputation);
      judgement.reputations.set(input.device, after);
      const until = quarantine(after, interaction, now, policy.reputation);
      if (until) judgement.quarantined.set(input.device, until.quarantinedUntil);
      const trust = aggregationWeightFactor(reputationOf(after, now, policy.reputation), policy.reputation);
      factors.set(input.id, flagged.length > 0 ? 0 : trust);
      this.#recent.push(digests[k]!);
    });
    if (this.#recent.length > RECENT_UPLOADS) this.#recent.splice(0, this.#recent.length - RECENT_UPLOADS);
    return judgement;
  }

  /**
   * The batch's sum and weight with the factors applied: Σ fᵢnᵢ·r over the (robust)
   * aggregate r, and Σ fᵢnᵢ. Null when every factor is 1 and the aggregate is the mean:
   * then the log's running sum is the answer, bit for bit.
   */
  aggregate(
    inputs: readonly BatchInput[],
    factors: ReadonlyMap<string, number>,
    dim: number,
    robust: TrustPolicy["robust"],
  ): { sum: Float32Array; weight: number } | null {
    const weights = inputs.map((i) => i.weight * (factors.get(i.id) ?? 1));
    const weight = weights.reduce((a, b) => a + b, 0);
    if (robust.kind === "mean" && inputs.every((i) => (factors.get(i.id) ?? 1) === 1)) return null;
    const models = inputs.map((i) => {
      const x = decodeToDense(i.codec, i.payload, dim);
      const perUnit = i.scale / i.weight;
      for (let j = 0; j < dim; j++) x[j] = x[j]! * perUnit;
      return x;
    });
    const kept = models.flatMap((m, k) => (weights[k]! > 0 ? [{ m, w: weights[k]! }] : []));
    const sum = new Float32Array(dim);
    if (kept.length === 0) return { sum, weight: 0 };
    if (robust.kind === "mean") {
      const acc = new Float64Array(dim);
      for (const { m, w } of kept) for (let j = 0; j < dim; j++) acc[j]! += w * m[j]!;
      sum.set(acc);
    } else {
      const r = robustAggregate(
        robust,
        kept.map((k) => k.m),
        kept.map((k) => k.w),
      );
      for (let j = 0; j < dim; j++) sum[j] = r[j]! * weight;
    }
    this.#lastAggregate = weight > 0 ? sum.map((v) => v / weight) : undefined;
    return { sum, weight };
  }
}

/** FNV-1a, 32-bit, as hex: enough to tell identical payloads apart (not a security digest). */
function digest(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${h.toString(16)}:${bytes.length}`;
}
