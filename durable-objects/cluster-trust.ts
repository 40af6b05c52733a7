/**
 * Trust at a cluster (docs/architecture.md#trust): when a batch is sealed, the cluster
 * decodes its updates, runs the gaming detectors of shared/trust on each, updates each
 * device's reputation, and gives each update a factor on its aggregation weight — 0 for
 * one flagged by any detector, else its reputation's factor.
 * Then it aggregates: the weighted mean (with every factor 1, exactly the log's running
 * sum), or the task's robust aggregator over the updates (shared/aggregation/robust).
 *
 * What an update is here: xᵢ = s(τᵢ)·cᵢ·Δᵢ (staleness weight and clipping applied, as the
 * log's scale nᵢ·s·c holds them) with weight nᵢ; the batch sends Σ fᵢnᵢ·r and weight Σ fᵢnᵢ,
 * where r is the (robust) aggregate of the xᵢ weighted by fᵢnᵢ.
 *
 * The detectors see this cluster's updates and the global model (its drift since version 0
 * at recent versions, read from R2 per version): a Sybil group spread over clusters is
 * beyond the duplicate detectors (clustering decides what a cluster sees). Histories
 * (FoolsGold), the global model, recent payload digests, members' last updates and their
 * cosines with the drift are soft state.
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
  l2Norm,
  minimumWorkMs,
  nearDuplicate,
  normOutlier,
  persistentlyAgainst,
  quarantine,
  type ReputationConfig,
  type ReputationState,
  recordInteraction,
  replayedMovement,
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
/**
 * A norm within this many medians of the recent median is never an outlier: only 6.5× the
 * median or more is. In the spam scenario's clean, attacked and honest-only runs, honest
 * updates stayed below 5.2× their cluster's median on seeds 1–6 (one logged run each) and
 * reached 6.7× once in the 18 runs after this bound (one honest device of 100 flagged
 * once); each ×10-scaled device sent at least one update at 7.8× or more — on seed 5 at
 * most 7.8× and 7.9×, under the earlier bound, 8×, and one went undetected. A miss costs
 * more than a false flag: a scaled update moves the model, a flagged honest one loses its
 * weight once.
 */
const NORM_SPREAD = 5.5;
/**
 * The norm test judges from this many recent norms on (the update's own and its batch's
 * among them): a cluster's first batch, 3–4 updates on version 0, is where a scaled update
 * stands out most (every device trains from the same model), and with 5 it went unjudged.
 */
const NORM_MIN_HISTORY = 3;
/** The free-rider zero test: at or below this fraction of the median recent norm. */
const ZERO_FRACTION = 0.001;
/**
 * The direction tests start once the model has drifted for this many versions (earlier,
 * the drift is a few batches' worth and honest updates fall against it: the first
 * detectors' false positives came at versions 3–5)…
 */
const MIN_DRIFT_VERSION = 6;
/**
 * …and flags an update whose cosine with the drift is below this (and its batch's median's
 * below 0). At −0.1 it flagged honest devices that hold mostly the minority class, whose
 * updates lean against the drift by −0.05 … −0.13; the persistent test below catches the
 * sign-flips it no longer does.
 */
const MIN_DRIFT_COSINE = -0.2;
/** Members' last updates a cluster keeps for the near-duplicate test across batches: at most this many bytes. */
const LAST_UPDATES_BYTES = 16 * 1024 * 1024;
/** The persistent test: a device's last ALIGNMENT_HISTORY cosines with the drift… */
const ALIGNMENT_HISTORY = 10;
/**
 * …must have a mean below MAX_SINGLE_DRIFT_COSINE for one update, a bound that loosens
 * linearly to MAX_MEAN_DRIFT_COSINE at FULL_ALIGNED_UPDATES. In the spam scenario, from
 * version 6 on (eight runs of seeds 1–3, clean and attacked): honest devices' single
 * cosines went down to −0.23 and their means of five or more to −0.10 (once; otherwise
 * above −0.08); Sybils' single cosines stayed below −0.58, sign-flipped devices' means fell
 * to −0.12 … −0.32 — or stayed near 0, when the device's honest update was itself
 * orthogonal to the drift.
 */
const MAX_SINGLE_DRIFT_COSINE = -0.4;
const MAX_MEAN_DRIFT_COSINE = -0.12;
const FULL_ALIGNED_UPDATES = 5;
/**
 * An update this close in direction to the global model's movement between two versions
 * replays it (honest updates stayed below 0.83 in the spam scenario; replays scored 1).
 */
const REPLAY_COSINE = 0.95;
/** A FoolsGold match counts only at this pardoned cosine between two devices' histories. */
const SYBIL_SIMILARITY = 0.95;
/** FoolsGold compares histories of at least this many updates. */
const MIN_HISTORY = 5;

/**
 * What a cluster knows of the global model, for the detectors: the initial weights and the
 * latest versions' (read from R2 as versions are published; soft state).
 */
export interface GlobalModel {
  /** The drift w_v − w_0 of the newest version known: where training has been going. */
  drift: Float32Array;
  /** Version of `drift`. */
  version: number;
  /**
   * The drift of each recent version known (version → w_v − w_0): the model's movement
   * from a to b, drift_b − drift_a, is what a replaying free rider sends.
   */
  drifts: Map<number, Float32Array>;
}

/** Recent versions' drifts a cluster keeps for replay detection: at most this many… */
const MOVEMENT_VERSIONS = 20;
/** …and at most this many bytes of them. */
const MOVEMENT_BYTES = 16 * 1024 * 1024;

export class ClusterTrust {
  /** Σ of each member's updates (FoolsGold's history), for the devices in recent batches. */
  #histories = new Map<string, Float32Array>();
  /** Updates summed into each history. */
  #historyLengths = new Map<string, number>();
  /** Each member's last update and the version it was trained on (soft state), newest last. */
  #lastUpdates = new Map<string, { version: number; update: Float32Array }>();
  /** Each member's recent updates' cosines with the drift (soft state). */
  #alignments = new Map<string, number[]>();
  #recent: Upload[] = [];
  #initial: Float32Array | undefined;
  #latest: { version: number; weights: Float32Array } | undefined;
  #global: GlobalModel | undefined;
  #loading: number | undefined;

  /**
   * A version was published: load its weights (and, once, the initial ones) in the
   * background, to update the drift and the recent global deltas. The promise never
   * rejects (callers need not wait for it); a failed load is retried at the next version seen.
   */
  observeVersion(version: number, load: (version: number) => Promise<Float32Array>): Promise<void> {
    if (version <= (this.#latest?.version ?? -1) || this.#loading === version) return Promise.resolve();
    this.#loading = version;
    return (async () => {
      this.#initial ??= await load(0);
      const weights = version === 0 ? this.#initial : await load(version);
      const previous = this.#latest;
      if (previous && previous.version >= version) return;
      this.#latest = { version, weights };
      const initial = this.#initial;
      const drift = weights.map((w, j) => w - initial[j]!);
      const drifts = new Map(this.#global?.drifts ?? []);
      drifts.set(version, drift);
      const keep = Math.max(1, Math.min(MOVEMENT_VERSIONS, Math.floor(MOVEMENT_BYTES / (4 * drift.length))));
      for (const v of [...drifts.keys()].sort((a, b) => a - b).slice(0, Math.max(0, drifts.size - keep))) {
        drifts.delete(v);
      }
      this.#global = { drift, version, drifts };
    })()
      .catch((err) => console.warn(`trust: could not load version ${version}'s weights:`, err))
      .finally(() => {
        if (this.#loading === version) this.#loading = undefined;
      });
  }

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
    // For the noise test each update is compared with the coordinate median of the *other* updates of its batch:
    // with 3–4 updates a batch's median is largely made of the update being judged (a noise
    // update's own coordinates are much of the median, and it correlates with that).
    const othersMedian = inputs.map((_, k) =>
      inputs.length < 2
        ? null
        : robustAggregate(
            { kind: "median" },
            updates.filter((_, j) => j !== k),
            inputs.filter((_, j) => j !== k).map((i) => i.weight),
          ),
    );
    const digests = inputs.map((i) => ({ deviceId: i.device, hash: digest(i.payload), version: i.version }));
    const verdicts = inputs.map((input, k): Verdict[] => {
      const update = updates[k]!;
      const others = inputs.flatMap((o, j) => (j !== k ? [{ deviceId: o.device, update: updates[j]! }] : []));
      const global = this.#global;
      const found = [
        // Only the upper tail, and only far out: a norm up to 6.5× the median is honest spread.
        normOutlier(input.norm, recentNorms, {
          minRelativeDeviation: NORM_SPREAD,
          minHistory: NORM_MIN_HISTORY,
        }),
        exactDuplicate(digests[k]!, [...this.#recent, ...digests.filter((_, j) => j !== k)]),
        // Against the batch and the other members' last updates on the same version: a Sybil
        // group's members train on the same model, but need not share a batch.
        nearDuplicate({ deviceId: input.device, update }, [
          ...others,
          ...this.#earlierUpdates(input.version, new Set(inputs.map((i) => i.device))),
        ]),
        freeRider(
          update,
          {
            // Noise points nowhere: not where the others went, nor where the model has gone.
            references: [
              ...(othersMedian[k] ? [othersMedian[k]] : []),
              ...others.map((o) => o.update),
              ...(global ? [global.drift] : []),
            ],
            recentNorms,
          },
          { zeroFraction: ZERO_FRACTION },
        ),
        // A free rider sending back how the global model moved between versions it saw.
        ...(global
          ? [replayedMovement(update, global.drifts, input.version, { minCosine: REPLAY_COSINE })]
          : []),
      ];
      // Against where the global model has been going, once it has gone somewhere: the
      // batch median is no reference on label-skewed data, where an honest device holding
      // mostly one class points away from a batch leaning to the other.
      if (global && global.version >= MIN_DRIFT_VERSION) {
        // Both references must disagree: the drift (which an attack can bend) and the batch's
        // median (which label skew can turn away from an honest device) each misfire alone.
        const drift = directionOutlier(update, global.drift, {
          minCosine: MIN_DRIFT_COSINE,
          referenceName: `the model's drift since version 0 (at version ${global.version})`,
        });
        const batch = directionOutlier(update, reference, { referenceName: "the batch's coordinate median" });
        if (drift.suspicious && batch.suspicious) {
          found.push({ ...drift, reason: `${drift.reason}; and ${batch.reason}` });
        }
        // And over time: a device whose updates keep leaning against the drift, though no
        // single one is far enough out (a sign-flipped update keeps its device's label skew).
        if (l2Norm(update) > 0) {
          const cosines = [...(this.#alignments.get(input.device) ?? []), drift.score].slice(
            -ALIGNMENT_HISTORY,
          );
          this.#alignments.set(input.device, cosines);
          found.push(
            persistentlyAgainst(cosines, {
              fullUpdates: FULL_ALIGNED_UPDATES,
              maxMeanCosine: MAX_MEAN_DRIFT_COSINE,
              maxSingleCosine: MAX_SINGLE_DRIFT_COSINE,
              referenceName: "the model's drift since version 0",
            }),
          );
        }
      }
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
      this.#historyLengths.set(input.device, (this.#historyLengths.get(input.device) ?? 0) + 1);
    });
    // A short history is little more than its updates: honest devices' first steps from the
    // same model can agree that closely (the scenario's seed 3 flagged 6 of 80 honest devices
    // so), and the per-version duplicate tests judge single updates.
    // Each device once: a device with two updates in the batch (two versions) has one
    // history, and compared with itself it would be its own Sybil twin.
    const clean = [
      ...new Set(
        inputs.flatMap((input, k) =>
          verdicts[k]!.length === 0 && (this.#historyLengths.get(input.device) ?? 0) >= MIN_HISTORY
            ? [input.device]
            : [],
        ),
      ),
    ];
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
      const trust = aggregationWeightFactor(after, now, policy.reputation);
      factors.set(input.id, flagged.length > 0 ? 0 : trust);
      this.#recent.push(digests[k]!);
      this.#rememberUpdate(input.device, input.version, updates[k]!);
    });
    if (this.#recent.length > RECENT_UPLOADS) this.#recent.splice(0, this.#recent.length - RECENT_UPLOADS);
    return judgement;
  }

  /** The last updates of members not in this batch, that were trained on `version`. */
  #earlierUpdates(
    version: number,
    inBatch: ReadonlySet<string>,
  ): { deviceId: string; update: Float32Array }[] {
    return [...this.#lastUpdates].flatMap(([deviceId, last]) =>
      last.version === version && !inBatch.has(deviceId) ? [{ deviceId, update: last.update }] : [],
    );
  }

  /** Keeps a member's last update, the least recently updated members dropped past LAST_UPDATES_BYTES. */
  #rememberUpdate(device: string, version: number, update: Float32Array): void {
    this.#lastUpdates.delete(device);
    this.#lastUpdates.set(device, { version, update });
    const keep = Math.max(1, Math.floor(LAST_UPDATES_BYTES / (4 * update.length)));
    for (const old of [...this.#lastUpdates.keys()].slice(0, Math.max(0, this.#lastUpdates.size - keep))) {
      this.#lastUpdates.delete(old);
    }
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
