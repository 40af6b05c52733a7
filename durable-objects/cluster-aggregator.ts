/**
 * First tier: one object per ~10 devices, pinned to their region. It knows its members
 * (devices that checked in with a token naming it), assigns them model versions at
 * check-in, accepts one update per member per assigned version (write-ahead, then 202),
 * clips each update's norm, and flushes Σ s(τ)·nᵢ·cᵢΔᵢ to the region when every active
 * member has reported on the newest version, or when the batch's wait runs out.
 */

import { type ClippingConfig, clipBound, clipFactor } from "../shared/aggregation/clipping";
import { type StalenessFunction, stalenessWeight } from "../shared/aggregation/staleness";
import { type BatteryState, mayTrain, workScale } from "../shared/battery-policy";
import type { ControllerPolicy, Level } from "../shared/codecs/controller";
import { FedgeError } from "../shared/errors";
import type { MetricSet } from "../shared/metrics/metric-set";
import { count, record } from "../shared/metrics/record";
import type { EncryptedShare, UnmaskShare } from "../shared/privacy/secagg/protocol";
import { dequantize, SecAggError } from "../shared/privacy/secagg/protocol";
import { Codec, type CodecId } from "../shared/protocol/frame";
import { attempt, type Result } from "../shared/result";
import { clusterQuota } from "../shared/selection/over-selection";
import {
  initialReputation,
  l2Norm,
  type ReputationState,
  recordInteraction,
  reputationOf,
} from "../shared/trust/index";
import { ClusterCompression, type ControllerView } from "./cluster-compression";
import { ClusterFlow, FLOW } from "./cluster-flow";
import { type BatchInput, ClusterTrust, type TrustPolicy } from "./cluster-trust";
import type { PartialAck, PartialEnvelope } from "./partial";
import type { RegionIdentity } from "./region-aggregator";
import type { AggregationLog, SealedBatch } from "./storage/aggregation-log";
import { BlobStore } from "./storage/blob-store";
import { ClusterMembers, type Handover } from "./storage/cluster-members";
import { readWeights } from "./storage/model-store";
import { createNormBatches, keepNorms, sealedNorms } from "./storage/norm-batches";
import { ensureTable, isWithoutRowid } from "./storage/schema";
import { roundName, type SecurePolicy, SecureRounds, type SecureRoundView } from "./storage/secure-rounds";
import { clusterName, treeNodeStub } from "./stubs";
import { weightsKey } from "./task-types";
import { TierAggregator, type TierIdentity } from "./tier-aggregator";

export interface ClusterIdentity extends TierIdentity {
  index: number;
  /** The region aggregator this cluster flushes to, as it should configure itself. */
  parent: RegionIdentity;
  clipping: ClippingConfig;
  /** Every update counts with weight 1 whatever sample weight it claims (privacy.dp: one device, one clipped update). */
  unitWeights: boolean;
  /** See clusters.inactiveAfterVersions in shared/protocol/task-config.ts. */
  inactiveAfterVersions: number;
  /** The task's target cluster size (flow control sizes its minimum backlog from it). */
  clusterSize: number;
  /** Updates older than this are refused (stale_update); assignments older than it are forgotten. */
  maxStaleness: number;
  staleness: StalenessFunction;
  trust: TrustPolicy;
  /** privacy.secureAggregation: devices send masked inputs through secure rounds, never plain updates. */
  secure: SecurePolicy | null;
  /** How long receipts, and a member's last telemetry once it stops checking in, are kept (ms). */
  retention: { receiptsMs: number; telemetryMs: number };
  /** compression.controller: each member's level is learned here (cluster-compression.ts); null: the task's level. */
  controller: ControllerPolicy | null;
}

export interface DeviceUpdate {
  device: string;
  updateId: string;
  codec: CodecId;
  payload: Uint8Array;
  sampleWeight: number;
  baseVersion: number;
}

export interface MemberView {
  device: string;
  joinedAt: string;
  lastSeenAt: string;
  /** The newest version it checked in to train on, or uploaded for. */
  activeVersion: number | null;
  /** In [0, 1], decayed to now; null until its first judged update. */
  reputation: number | null;
  quarantinedUntil: string | null;
  /** Updates of its that a gaming detector flagged, and the last reason. */
  detections: number;
  lastDetection: string | null;
}

export interface UpdateReceipt {
  updateId: string;
  status: "accepted";
  receivedAt: string;
}

/** The round as the edge sees it (its task view is at most about a second old). */
export interface CurrentRound {
  version: number;
  round: number;
  deadlineAt: number;
  deadlineSeconds: number;
  minBatteryLevel: number;
  /** The level the task assigns this version (schedule and quality shift applied), and the shift. */
  compression: Level;
  compressionShift: number;
  /** With round.overSelection: the share of members that may train on this version (absent: all). */
  selectionShare?: number | undefined;
}

export interface CheckinReport {
  battery?: BatteryState | undefined;
  network?:
    | { type: string; rttMs?: number | undefined; uplinkBytesPerSecond?: number | undefined }
    | undefined;
  /** What the device's last upload met: its error feedback's residual ratio, and load refusals since. */
  compression?: { residualRatio?: number | undefined; refusedUploads?: number | undefined } | undefined;
}

export type WaitReason = "assigned" | "closing" | "battery" | "queued";

export type CheckinDecision =
  | {
      action: "train";
      version: number;
      round: number;
      deadlineAt: number;
      workScale: number;
      credits: number;
      compression: Level;
    }
  | {
      action: "wait";
      reason: WaitReason;
      version: number;
      round: number;
      retryAfterSeconds: number;
      /** reason "queued": how many members asked to train on this version before it and were queued too, plus one. */
      position?: number;
    }
  /** Re-clustering moved the device: check it in at `cluster`, handing this over (docs/architecture.md#clustering). */
  | { action: "moved"; cluster: number; handover: Handover };

/** An update for a member that moved, under an assignment it took with it: to be sent to its new cluster. */
export interface Redirect {
  redirect: number;
}

/** A device below the battery threshold asks again after this long. */
const LOW_BATTERY_RETRY_SECONDS = 900;
/** The refusals of flow control (durable-objects/cluster-flow.ts): load shed, not updates judged. */
const SHED_CODES: ReadonlySet<string> = new Set(["overloaded", "rate_limited", "window_full"]);
/** The log id of a secure round's unmasked sum starts with this (device updates' are `device:updateId`). */
const SECURE_SUM = "secagg:";
/** How often the alarm prunes receipts and assignments nobody can use any more. */
const HOUSEKEEPING_MS = 3600_000;

export class ClusterAggregator extends TierAggregator<ClusterIdentity> {
  protected override readonly tier = "cluster";
  /**
   * Accepted updates' norms, oldest first (adaptive clipping's window, the norm-outlier
   * detector's baseline); loaded on first use. Stored without a row per update: the log
   * keeps the norms of the inputs not yet sealed, `norm_batches` one row per sealed batch
   * (written in the seal's transaction: onSeal), as many of the newest as cover the window.
   */
  #norms: number[] | null = null;
  #housekeptAt: number | undefined;
  /** When the member longest silent that still has telemetry last checked in: null for none, undefined until read. */
  #telemetrySince: number | null | undefined;
  #flowControl: ClusterFlow | null = null;
  readonly #trust = new ClusterTrust();
  readonly #compression: ClusterCompression;
  #complete: { newest: number; settings: number; value: boolean } | null = null;
  readonly #members: ClusterMembers;
  readonly #rounds: SecureRounds;
  /** Secure rounds whose sum is being unmasked now (its crypto awaits; nothing may start it twice). */
  readonly #unmasking = new Set<number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.#rounds = new SecureRounds(sql, new BlobStore(sql));
    // Keyed tables WITHOUT ROWID, and no AUTOINCREMENT: an upload writes one B-tree page per
    // table, not also a rowid index's page and sqlite_sequence's (docs/benchmarks.md).
    this.#members = new ClusterMembers(sql);
    this.#compression = new ClusterCompression(sql, this.meta);
    ensureTable(
      sql,
      "input_factors",
      "CREATE TABLE IF NOT EXISTS input_factors (id TEXT PRIMARY KEY, factor REAL NOT NULL) WITHOUT ROWID",
      isWithoutRowid,
    );
    createNormBatches(sql);
  }

  /**
   * A member's check-in: records its reports, and assigns it the current version if it
   * may train and has not had that version yet; otherwise tells it to wait, and for how
   * long. A device becomes a member at its first check-in.
   */
  async checkin(
    setup: ClusterIdentity,
    device: string,
    current: CurrentRound,
    report: CheckinReport,
    /** From the cluster the device was moved away from, when it was. */
    handover?: Handover,
  ): Promise<Result<CheckinDecision>> {
    return attempt(async () => {
      const id = this.configure(setup);
      const members = this.#members;
      const now = Date.now();
      const movedTo = handover ? null : members.movedTo(device);
      if (movedTo !== null) {
        const away = this.ctx.storage.transactionSync(() => members.handOver(device));
        this.#changed();
        return { action: "moved", cluster: movedTo, handover: away } satisfies CheckinDecision;
      }
      // A device that may not train is not expected to report: it does not count as active.
      const trains = mayTrain(report.battery, { minBatteryLevel: current.minBatteryLevel });
      const decision = this.ctx.storage.transactionSync((): CheckinDecision => {
        members.seen(
          device,
          now,
          report.battery ? JSON.stringify(report.battery) : null,
          report.network ? JSON.stringify(report.network) : null,
          trains ? current.version : null,
        );
        if (handover) members.adopt(device, handover);
        // The first telemetry kept: its erasure needs an alarm. (A later report only makes the memo early, which is harmless.)
        if (this.#telemetrySince === null && (report.battery || report.network)) this.#telemetrySince = now;
        const wait = (reason: WaitReason, retryAfterSeconds: number, position?: number): CheckinDecision => ({
          action: "wait",
          reason,
          version: current.version,
          round: current.round,
          retryAfterSeconds,
          ...(position === undefined ? {} : { position }),
        });
        if (!trains) return wait("battery", LOW_BATTERY_RETRY_SECONDS);
        this.noteVersion(current.version);
        this.#observe(id, current.version);
        const untilDeadline = Math.ceil((current.deadlineAt - now) / 1000);
        // Devices told to come back at the same moment are spread over a window (pace steering).
        const pace = this.#flow(id).paceSeconds(members.count(), device);
        // Past the deadline the round is being published (or retried): come back in a period, not every second.
        if (untilDeadline < 1) return wait("closing", Math.min(60, current.deadlineSeconds) + pace);
        if (members.assignment(device, current.version)) return wait("assigned", untilDeadline + pace);
        // Over-selection: past this version's quota, a member waits for the next round, told its place.
        const share = current.selectionShare ?? 1;
        if (share < 1 && members.assignedCount(current.version) >= clusterQuota(share, members.count())) {
          return wait("queued", untilDeadline + pace, members.enqueue(device, current.version, now));
        }
        members.assign(device, current.version, now);
        const compression = id.controller
          ? this.#compression.assign(
              id.controller,
              id.dim,
              device,
              current.version,
              {
                ...report.network,
                ...report.compression,
                battery: report.battery,
              },
              current.compression,
              current.compressionShift,
            )
          : current.compression;
        return {
          action: "train",
          version: current.version,
          round: current.round,
          deadlineAt: current.deadlineAt,
          workScale: workScale(report.battery),
          credits: this.#flow(id).credits(this.log(id).inFlightFrom(device)),
          compression,
        };
      });
      this.#changed();
      await this.admit(id);
      return decision;
    });
  }

  /**
   * Logs a member's update and returns its receipt. The receipt is returned only after
   * the log write commits (the output gate holds it), so an acknowledged update survives
   * eviction. A resent update id gets the original receipt and is not counted again.
   *
   * Refused before anything is written: an update τ versions old with τ > maxStaleness
   * (stale_update); one for a version the device was not assigned at check-in
   * (not_assigned); a second, different update for a version the device already
   * contributed to (duplicate_contribution); one that would make the sum overflow
   * (aggregate_overflow). An accepted update is summed with weight s(τ)·n·c, where s is
   * the staleness weight (FedBuff, Nguyen et al. 2022) and c = min(1, C/‖Δ‖) its clipping.
   */
  async submit(
    setup: ClusterIdentity,
    update: DeviceUpdate,
    currentVersion: number,
    /** When the edge began handling the request (ms since epoch): what it waited shows congestion. */
    receivedAt: number = Date.now(),
  ): Promise<Result<UpdateReceipt | Redirect>> {
    const started = Date.now();
    const result = await this.#submit(setup, update, currentVersion, started, started - receivedAt);
    if (!result.ok) {
      const m = this.metrics();
      const { code, retryAfterSeconds } = result.error;
      // Load shed (the flow control's refusals) is told apart from updates refused on their merits.
      if (SHED_CODES.has(code) && retryAfterSeconds !== undefined) {
        count(m, "fedge_shed_total", { tier: "cluster", reason: code });
        record(m, "fedge_retry_after_seconds", retryAfterSeconds);
      } else count(m, "fedge_updates_refused_total", { code });
    }
    return result;
  }

  #submit(
    setup: ClusterIdentity,
    update: DeviceUpdate,
    currentVersion: number,
    started: number,
    queuedMs: number,
  ): Promise<Result<UpdateReceipt | Redirect>> {
    return attempt(async () => {
      const id = this.configure(setup);
      const key = `${update.device}:${update.updateId}`;
      // A resend (the same frame, so the same base version) gets the original receipt.
      const assignment = this.#members.assignment(update.device, update.baseVersion);
      if (assignment?.update_key === key && assignment.received_at !== null) {
        return receiptFor(update.updateId, assignment.received_at);
      }
      // A member that moved: an assignment still here is used here; one it took along, there.
      const movedTo = this.#members.movedTo(update.device);
      if (movedTo !== null && this.#members.handedOver(update.device, update.baseVersion)) {
        return { redirect: movedTo };
      }
      const quarantinedUntil = this.#members.quarantinedUntil(update.device);
      if (quarantinedUntil !== null && quarantinedUntil > started) {
        throw new FedgeError(
          "quarantined",
          `device ${update.device} is quarantined until ${new Date(quarantinedUntil).toISOString()}: its recent updates were flagged as gaming`,
          Math.ceil((quarantinedUntil - started) / 1000),
        );
      }
      const log = this.log(id);
      const load = { backlog: log.backlog, inFlight: log.inFlightFrom(update.device), queuedMs };
      const refusal = this.#flow(id).admit(update.device, update.payload.byteLength, load, started);
      if (refusal) throw new FedgeError(refusal.code, refusal.message, refusal.retryAfterSeconds);
      const staleness = Math.max(0, currentVersion - update.baseVersion);
      if (staleness > id.maxStaleness) {
        throw new FedgeError(
          "stale_update",
          `update is ${staleness} versions old (base ${update.baseVersion}, current ${currentVersion}); the task accepts at most ${id.maxStaleness}`,
        );
      }
      if (!assignment) {
        throw new FedgeError(
          "not_assigned",
          `device ${update.device} was not assigned version ${update.baseVersion}; check in, train on the version it assigns, then upload`,
        );
      }
      if (assignment.update_key !== null) {
        throw new FedgeError(
          "duplicate_contribution",
          `device ${update.device} has already contributed an update to version ${update.baseVersion}; one update per device per version`,
        );
      }
      const norm = log.measure(update.codec, update.payload);
      const clip = clipFactor(norm, clipBound(id.clipping, this.#recentNorms(id)));
      const weight = id.unitWeights ? 1 : update.sampleWeight;
      const scale = weight * stalenessWeight(id.staleness, staleness) * clip;
      const m = this.metrics();
      const receipt = await this.commit(id, (log, now) => {
        this.#members.contribute(update.device, update.baseVersion, key, now);
        if (id.controller)
          this.#compression.uploaded(update.device, update.baseVersion, update.payload.byteLength);
        this.#members.markActive(update.device, currentVersion);
        this.noteVersion(currentVersion);
        this.#observe(id, currentVersion);
        log.append(
          {
            id: key,
            source: update.device,
            codec: update.codec,
            payload: update.payload,
            scale,
            weight,
            count: 1,
            norm,
            // Counted per device only where privacy is accounted for: the counts ride up the tree.
            devices: id.unitWeights ? { [update.device]: 1 } : undefined,
            version: update.baseVersion,
          },
          now,
        );
        this.#changed();
        // Recorded before the commit can seal a batch, so they travel with this update's batch.
        count(m, "fedge_updates_accepted_total");
        record(m, "fedge_stage_duration_seconds", (now - started) / 1000, { stage: "cluster_ingest" });
        record(m, "fedge_stage_duration_seconds", queuedMs / 1000, { stage: "edge" });
        count(m, "fedge_payload_bytes_total", {}, update.payload.byteLength);
        count(m, "fedge_dense_bytes_total", {}, 4 * id.dim);
        if (clip < 1) count(m, "fedge_updates_clipped_total");
        return receiptFor(update.updateId, now);
      });
      this.#rememberNorm(norm, normWindow(id));
      return receipt;
    });
  }

  // ---- Secure aggregation (storage/secure-rounds.ts; shared/privacy/secagg/protocol.ts) ----

  /** Re-clustering (the region's directory) moved these members to other clusters. */
  async moveMembers(moves: { device: string; cluster: number }[]): Promise<void> {
    this.ctx.storage.transactionSync(() => this.#members.moveAway(moves));
    this.#changed();
  }

  /** Phase 1: a device assigned `version` advertises its two public keys. */
  secureJoin(
    setup: ClusterIdentity,
    device: string,
    version: number,
    keys: { cPk: string; sPk: string },
  ): Promise<Result<SecureRoundView>> {
    return this.#secure(setup, device, version, (policy, now) => {
      if (!this.#members.assignment(device, version)) {
        throw new FedgeError(
          "not_assigned",
          `device ${device} was not assigned version ${version}; check in first`,
        );
      }
      this.#rounds.join(policy, version, { device, ...keys }, this.#members.assignedCount(version), now);
      return false;
    });
  }

  /** Where the round stands, as the asking device needs to know it. */
  secureView(setup: ClusterIdentity, device: string, version: number): Promise<Result<SecureRoundView>> {
    return this.#secure(setup, device, version, null);
  }

  /** Phase 2: the device's encrypted shares, one for each other member of the roster. */
  secureShares(
    setup: ClusterIdentity,
    device: string,
    version: number,
    shares: { to: string; ciphertext: string }[],
  ): Promise<Result<SecureRoundView>> {
    return this.#secure(setup, device, version, (policy, now) => {
      const sent: EncryptedShare[] = shares.map((e) => ({ from: device, ...e }));
      this.#rounds.shares(policy, version, device, sent, now);
      return false;
    });
  }

  /** Phase 3: the device's masked input, 4 bytes per parameter. */
  secureMasked(
    setup: ClusterIdentity,
    device: string,
    version: number,
    words: Uint8Array,
  ): Promise<Result<SecureRoundView>> {
    return this.#secure(setup, device, version, (policy, now, id) => {
      this.#rounds.masked(policy, version, device, words, id.dim, now);
      return false;
    });
  }

  /** Phase 4: the device's revealed shares; the last one needed unmasks the sum. */
  secureUnmask(
    setup: ClusterIdentity,
    device: string,
    version: number,
    shares: UnmaskShare[],
  ): Promise<Result<SecureRoundView>> {
    return this.#secure(setup, device, version, () => this.#rounds.unmask(version, device, shares));
  }

  #secure(
    setup: ClusterIdentity,
    device: string,
    version: number,
    /** Records the call; true when the round can be unmasked now. Null for a read (a device polling). */
    op: ((policy: SecurePolicy, now: number, id: ClusterIdentity) => boolean) | null,
  ): Promise<Result<SecureRoundView>> {
    return attempt(async () => {
      const id = this.configure(setup);
      const policy = id.secure;
      if (!policy) throw new FedgeError("bad_request", `task ${id.task} does not aggregate securely`);
      if (op) {
        const ready = this.ctx.storage.transactionSync(() => op(policy, Date.now(), id));
        if (ready) await this.#unmask(id, version);
        await this.admit(id); // the alarm follows the phase deadlines (housekeepingAt)
      }
      return this.#rounds.view(policy, version, device, Date.now(), roundName(this.selfName(id), version));
    });
  }

  /**
   * Unmasks a round and appends its sum to the log as one input of |U3| updates, each
   * counted with weight 1 and the round's staleness weight; a round whose shares cannot
   * unmask it is abandoned with the reason.
   */
  async #unmask(id: ClusterIdentity, version: number): Promise<void> {
    if (this.#unmasking.has(version) || !id.secure) return;
    this.#unmasking.add(version);
    try {
      let unmasked: Awaited<ReturnType<SecureRounds["unmaskedSum"]>>;
      try {
        unmasked = await this.#rounds.unmaskedSum(version, id.dim, roundName(this.selfName(id), version));
      } catch (error) {
        if (!(error instanceof SecAggError)) throw error;
        this.ctx.storage.transactionSync(() => this.#rounds.abandon(version, error.message));
        return;
      }
      // The round's own fixed point and noise (a task change since then applies to later rounds).
      const { scale, bound, noise: noiseStd } = unmasked;
      const values = dequantize(unmasked.sum, scale);
      const payload = new Uint8Array(values.buffer);
      const n = unmasked.survivors.length;
      // The one check a masked sum allows: n updates clipped to C sum to a norm of at most n·C
      // (plus the rounding, half a step per coordinate each). More means a member did not clip.
      const norm = l2Norm(values);
      // With distributed DP the sum also carries n devices' noise, of norm close to √(n·d)·std.
      const noise = 1.1 * Math.sqrt(n * id.dim) * noiseStd;
      const limit = n * bound + (n * Math.sqrt(id.dim)) / (2 * scale) + noise;
      if (norm > limit * (1 + 1e-6)) {
        const reason = `the unmasked sum's norm ${norm.toPrecision(4)} is more than ${n} updates clipped to ${bound} can make: a member did not clip`;
        this.ctx.storage.transactionSync(() => this.#rounds.abandon(version, reason));
        count(this.metrics(), "fedge_updates_refused_total", { code: "secure_sum_too_large" }, n);
        return;
      }
      const staleness = Math.max(0, (this.newestVersion() ?? version) - version);
      await this.commit(id, (log, now) => {
        if (!this.#rounds.complete(version)) return;
        const key = `${SECURE_SUM}${version}`;
        const norm = log.measure(Codec.DenseF32, payload);
        const scale = stalenessWeight(id.staleness, staleness);
        // Each survivor once: the counts the privacy accountant needs (storage/aggregation-log.ts).
        const devices = id.unitWeights
          ? Object.fromEntries(unmasked.survivors.map((d) => [d, 1]))
          : undefined;
        log.append(
          {
            id: key,
            source: key,
            codec: Codec.DenseF32,
            payload,
            scale,
            weight: n,
            count: n,
            norm,
            devices,
            version,
          },
          now,
        );
        for (const device of unmasked.survivors) this.#members.contribute(device, version, key, null);
        count(this.metrics(), "fedge_updates_accepted_total", {}, n);
        this.#changed();
      });
    } finally {
      this.#unmasking.delete(version);
    }
  }

  protected override selfName(id: ClusterIdentity): string {
    return clusterName(id.task, id.region, id.index);
  }

  protected override route(id: ClusterIdentity): string {
    return JSON.stringify(id.parent);
  }

  protected override sendToParent(
    id: ClusterIdentity,
    envelope: PartialEnvelope,
    route: string | null,
  ): Promise<Result<PartialAck>> {
    const parent = route === null ? id.parent : (JSON.parse(route) as RegionIdentity);
    return treeNodeStub(this.env, parent).ingestPartial(envelope, parent);
  }

  /**
   * Complete when every active member (one that checked in to train, or uploaded, while
   * the current version was at least v − inactiveAfterVersions) has contributed to the
   * newest version v seen here — counting contributions already flushed, so a member
   * that reports after its peers went up the tree does not wait for the deadline.
   */
  protected override batchComplete(id: ClusterIdentity, _log: AggregationLog): boolean {
    const newest = this.newestVersion();
    if (newest === undefined) return true;
    // Asked several times per request (is a flush due? when is the alarm?): computed once per change.
    const memo = this.#complete;
    if (memo?.newest === newest && memo.settings === id.inactiveAfterVersions) return memo.value;
    const { active, contributed } = this.#members.progress(newest, id.inactiveAfterVersions);
    const value = contributed >= active;
    this.#complete = { newest, settings: id.inactiveAfterVersions, value };
    return value;
  }

  /**
   * At a flush: the batch's norms kept (the clipping window), its updates judged, and the
   * share of the active members that had contributed to the newest version recorded.
   */
  protected override onSeal(id: ClusterIdentity, m: MetricSet, now: number): void {
    // From the log, not memory: this update's norm is logged before it is remembered.
    keepNorms(this.ctx.storage.sql, this.#openNorms(id), normWindow(id));
    if (id.trust.detect) this.#judge(id, m, now);
    if (id.controller) {
      const inputs = this.log(id)
        .inputs(null)
        .map((input) => ({
          ...input,
          device: input.source,
          version: input.version ?? -1,
        }));
      this.#compression.judge(inputs, id.dim);
    }
    const newest = this.newestVersion();
    if (newest === undefined) return;
    const { active, contributed } = this.#members.progress(newest, id.inactiveAfterVersions);
    if (active > 0) record(m, "fedge_flush_fill_ratio", contributed / active);
  }

  /**
   * Runs the detectors over the batch being sealed (inside the seal's transaction), and
   * stores each update's factor, each device's reputation and any quarantine.
   */
  #judge(id: ClusterIdentity, m: MetricSet, now: number): void {
    const sql = this.ctx.storage.sql;
    const inputs: BatchInput[] = this.log(id)
      .inputs(null)
      .map((input) => {
        const assignment =
          input.version === undefined ? undefined : this.#members.assignment(input.source, input.version);
        return {
          ...input,
          device: input.source,
          version: input.version ?? -1,
          elapsedMs: assignment ? input.receivedAt - assignment.assigned_at : null,
        };
      });
    const reputations = new Map<string, ReputationState>();
    for (const input of inputs) {
      const reputation = this.#members.reputation(input.device);
      if (reputation) reputations.set(input.device, reputation);
    }
    const judgement = this.#trust.judge(inputs, id.dim, id.trust, reputations, this.#recentNorms(id), now);
    for (const [input, factor] of judgement.factors) {
      sql.exec("INSERT OR REPLACE INTO input_factors (id, factor) VALUES (?, ?)", input, factor);
    }
    for (const [device, reputation] of judgement.reputations)
      this.#members.saveReputation(device, reputation);
    for (const [device, until] of judgement.quarantined) {
      this.#members.quarantine(device, until);
      count(m, "fedge_quarantines_total");
    }
    const reasons = new Map<string, string[]>();
    for (const { device, verdict } of judgement.detections) {
      count(m, "fedge_gaming_detections_total", { kind: verdict.kind });
      reasons.set(device, [...(reasons.get(device) ?? []), `${verdict.kind}: ${verdict.reason}`]);
    }
    for (const [device, why] of reasons) this.#members.flagged(device, why.join("; "));
  }

  /** With trust or a robust aggregator, the batch's aggregate is recomputed from its updates. */
  protected override aggregate(
    id: ClusterIdentity,
    batch: SealedBatch,
  ): { sum: Float32Array; weight: number } {
    if (!id.trust.detect && id.trust.robust.kind === "mean") return super.aggregate(id, batch);
    const inputs: BatchInput[] = this.log(id)
      .inputs(batch.seq)
      .map((input) => ({ ...input, device: input.source, version: -1, elapsedMs: null }));
    const sql = this.ctx.storage.sql;
    const factors = new Map(
      inputs.flatMap((input) =>
        sql
          .exec<{ factor: number }>("SELECT factor FROM input_factors WHERE id = ?", input.id)
          .toArray()
          .map((r) => [input.id, r.factor] as const),
      ),
    );
    let robust = id.trust.robust;
    let result: { sum: Float32Array; weight: number } | null;
    try {
      result = this.#trust.aggregate(inputs, factors, id.dim, robust);
    } catch (err) {
      // A batch too small for the aggregator's condition (e.g. Bulyan's n ≥ 4f + 3) takes the median.
      if (!(err instanceof RangeError)) throw err;
      robust = { kind: "median" };
      result = this.#trust.aggregate(inputs, factors, id.dim, robust);
    }
    return result ?? super.aggregate(id, batch);
  }

  /** With compression.controller: what it has learned per level, for the admin; else null. */
  async compressionController(): Promise<ControllerView | null> {
    const id = this.identity();
    return id?.controller ? this.#compression.view(id.controller, id.dim) : null;
  }

  /** The members, for the admin: activity, reputation, quarantine and detections (newest first). */
  async members(): Promise<MemberView[]> {
    const id = this.identity();
    const now = Date.now();
    return this.#members.list(1000).map((r) => ({
      device: r.device,
      joinedAt: new Date(r.joined_at).toISOString(),
      lastSeenAt: new Date(r.last_seen_at).toISOString(),
      activeVersion: r.active_version,
      reputation:
        r.reputation && id
          ? reputationOf(JSON.parse(r.reputation) as ReputationState, now, id.trust.reputation)
          : null,
      quarantinedUntil:
        r.quarantined_until && r.quarantined_until > now ? new Date(r.quarantined_until).toISOString() : null,
      detections: r.detections,
      lastDetection: r.last_detection,
    }));
  }

  /**
   * Hourly while there are receipts to expire; when a silent member's telemetry is due to
   * be erased (at most hourly too); at each secure round's phase deadline.
   */
  protected override housekeepingAt(id: ClusterIdentity, now: number): number | null {
    // Asked at every admit (each upload): only the receipts query is not remembered.
    const times: number[] = [];
    const phase = id.secure ? this.#rounds.nextDeadline() : null;
    if (phase !== null) times.push(phase);
    const receipts = this.#members.hasReceipts();
    if (this.#telemetrySince === undefined) this.#telemetrySince = this.#members.oldestTelemetry();
    const silentSince = this.#telemetrySince;
    if (receipts || silentSince !== null) {
      // The hour counts from the first time there was something to keep an eye on.
      this.#housekeptAt ??= this.meta.get<number>("housekept") ?? now;
      const hourly = this.#housekeptAt + HOUSEKEEPING_MS;
      if (receipts) times.push(hourly);
      if (silentSince !== null) times.push(Math.max(hourly, silentSince + id.retention.telemetryMs));
    }
    return times.length === 0 ? null : Math.min(...times);
  }

  /** Forgets receipts and telemetry past their retention, and assignments too old to be used. */
  protected override async housekeep(id: ClusterIdentity, now: number): Promise<void> {
    this.#housekeptAt = now;
    this.meta.set("housekept", now);
    const newest = this.newestVersion();
    const staleBefore = newest === undefined ? Number.MAX_SAFE_INTEGER : newest - id.maxStaleness;
    this.#members.forgetReceiptsBefore(now - id.retention.receiptsMs, staleBefore);
    this.#members.eraseTelemetry(now - id.retention.telemetryMs);
    this.#telemetrySince = undefined;
    if (newest !== undefined) this.#timeouts(id, this.#members.expireAssignmentsBefore(staleBefore), now);
    this.#members.forgetSettledMoves();
    if (!id.secure) return;
    const policy = id.secure;
    const ready = this.ctx.storage.transactionSync(() => {
      if (newest !== undefined) this.#rounds.forgetBefore(newest - id.maxStaleness);
      return this.#rounds.due(policy, now);
    });
    for (const version of ready) await this.#unmask(id, version);
  }

  /**
   * Work assigned and never delivered — an assignment that went stale with no update — is a
   * timeout in the device's reputation (at `timeoutWeight` of a detection; Kang et al. count
   * a worker's failures to deliver as negative interactions). It lowers the device's weight
   * but never quarantines it: a phone that went offline was unreliable, not gaming.
   */
  #timeouts(id: ClusterIdentity, unfulfilled: ReadonlyMap<string, number>, now: number): void {
    if (unfulfilled.size === 0) return;
    count(
      this.metrics(),
      "fedge_assignment_timeouts_total",
      {},
      [...unfulfilled.values()].reduce((a, b) => a + b, 0),
    );
    if (!id.trust.detect) return;
    for (const [device, n] of unfulfilled) {
      let reputation = this.#members.reputation(device) ?? initialReputation(now);
      for (let i = 0; i < n; i++)
        reputation = recordInteraction(reputation, "timeout", now, id.trust.reputation);
      this.#members.saveReputation(device, reputation);
    }
  }

  /** With detection on, the detectors follow the global model: its weights are read from R2 per version. */
  #observe(id: ClusterIdentity, version: number): void {
    if (!id.trust.detect) return;
    this.#trust.observeVersion(version, (v) =>
      readWeights(this.env.MODELS, {
        task: id.task,
        version: v,
        key: weightsKey(id.task, v),
        byteLength: 4 * id.dim,
      }),
    );
  }

  #flow(id: ClusterIdentity): ClusterFlow {
    this.#flowControl ??= new ClusterFlow(
      id.clusterSize,
      Date.now(),
      Math.random,
      id.unitWeights ? 1 : FLOW.window,
    );
    return this.#flowControl;
  }

  protected override onAcknowledged(batch: SealedBatch): void {
    this.#flowControl?.drained(batch.count, batch.bytes, Date.now());
    this.ctx.storage.sql.exec("DELETE FROM input_factors WHERE id NOT IN (SELECT id FROM log_inputs)");
  }

  /** Membership, assignments or contributions changed: completeness must be looked at again. */
  #changed(): void {
    this.#complete = null;
  }

  #rememberNorm(norm: number, window: number): void {
    const norms = this.#norms;
    if (!norms) return; // loaded from storage when next needed, this one included
    norms.push(norm);
    if (norms.length > 2 * window) norms.splice(0, norms.length - window);
  }

  #recentNorms(id: ClusterIdentity): number[] {
    // norm_batches: the norms up to the last seal (a batch still waiting for its parent
    // included); the log: the open inputs' norms since.
    this.#norms ??= [...sealedNorms(this.ctx.storage.sql).slice(-normWindow(id)), ...this.#openNorms(id)];
    return this.#norms;
  }

  /** The open batch's device updates' norms (a secure round's sum is n updates, not one), in log order. */
  #openNorms(id: ClusterIdentity): number[] {
    return this.log(id)
      .norms(null)
      .filter((input) => !input.id.startsWith(SECURE_SUM))
      .map((input) => input.norm);
  }
}

function receiptFor(updateId: string, receivedAt: number): UpdateReceipt {
  return { updateId, status: "accepted", receivedAt: new Date(receivedAt).toISOString() };
}

/** Accepted norms a cluster keeps: the adaptive clipping window, else 50 (for the norm-outlier detector). */
function normWindow(id: ClusterIdentity): number {
  return id.clipping.kind === "adaptive" ? id.clipping.window : 50;
}
