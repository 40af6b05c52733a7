/**
 * A task's configuration, validated at creation (PUT /v1/admin/tasks/:task) so that
 * config errors surface there, never mid-round. Every error names its field path.
 */
import { z } from "zod";
import { FedgeError } from "../errors";
import { REGIONS } from "../regions";
import { MAX_DIM, toHex } from "./frame";

export const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

const TensorSpec = z.strictObject({
  name: z.string().min(1).max(256),
  shape: z.array(z.int().positive()).max(8),
  offset: z.int().nonnegative(),
});

const Init = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("zeros") }),
  z.strictObject({
    kind: z.literal("uniform"),
    /** Weights drawn uniformly from [-scale, scale). */
    scale: z.number().positive().max(10),
    seed: z.int().nonnegative().max(0xffffffff),
  }),
]);

const ModelSpec = z
  .strictObject({
    parameters: z.int().positive().max(MAX_DIM),
    layout: z.array(TensorSpec).min(1).max(10_000),
    init: Init.default({ kind: "zeros" }),
  })
  .superRefine((model, ctx) => {
    const names = new Set<string>();
    model.layout.forEach((tensor, i) => {
      if (names.has(tensor.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["layout", i, "name"],
          message: `duplicate tensor name "${tensor.name}"`,
        });
      }
      names.add(tensor.name);
    });
    // The tensors must tile [0, parameters) exactly: no gaps, no overlaps.
    const order = model.layout.map((t, i) => ({ i, start: t.offset, size: tensorSize(t.shape) }));
    order.sort((a, b) => a.start - b.start);
    let next = 0;
    for (const t of order) {
      if (t.start !== next) {
        const what =
          t.start < next ? "overlaps the previous tensor" : "leaves a gap after the previous tensor";
        ctx.addIssue({
          code: "custom",
          path: ["layout", t.i, "offset"],
          message: `offset ${t.start} ${what} (expected ${next})`,
        });
      }
      next = t.start + t.size;
    }
    if (next !== model.parameters) {
      ctx.addIssue({
        code: "custom",
        path: ["parameters"],
        message: `layout covers ${next} parameters but parameters is ${model.parameters}`,
      });
    }
  });

const learningRate = (fallback: number) => z.number().positive().max(100).default(fallback);
const beta = (fallback: number) => z.number().min(0).lt(1).default(fallback);

/** Reddi et al. (ICLR 2021) defaults for the adaptive optimizers; see shared/aggregation/fedopt.ts. */
const adaptive = {
  serverLearningRate: learningRate(0.01),
  beta1: beta(0.9),
  beta2: beta(0.99),
  tau: z.number().positive().max(1).default(1e-3),
  biasCorrection: z.boolean().default(true),
};

const Optimizer = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("fedavg"), serverLearningRate: learningRate(1) }),
  z.strictObject({ kind: z.literal("fedavgm"), serverLearningRate: learningRate(1), momentum: beta(0.9) }),
  z.strictObject({ kind: z.literal("fedadam"), ...adaptive }),
  z.strictObject({ kind: z.literal("fedyogi"), ...adaptive }),
  z.strictObject({ kind: z.literal("fedadagrad"), ...adaptive }),
]);

const Staleness = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("inverse-sqrt") }),
  z.strictObject({ kind: z.literal("polynomial"), exponent: z.number().positive().max(10) }),
  z.strictObject({ kind: z.literal("constant") }),
]);

/** Byzantine inputs a robust aggregator tolerates per cluster batch. */
const byzantine = z.int().min(0).max(1_000);

/**
 * How a cluster aggregates its batch (shared/aggregation/robust): the weighted mean, or a
 * robust aggregator over the batch's updates (Yin et al. 2018; Blanchard et al. 2017;
 * El Mhamdi et al. 2018). A batch too small for the aggregator's condition is aggregated
 * by the coordinate median instead (docs/architecture.md#trust).
 */
const Robust = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("mean") }),
  z.strictObject({ kind: z.literal("median") }),
  z.strictObject({ kind: z.literal("trimmed-mean"), beta: z.number().min(0).lt(0.5) }),
  z.strictObject({ kind: z.literal("krum"), f: byzantine }),
  z.strictObject({ kind: z.literal("multi-krum"), f: byzantine, m: z.int().min(1).max(1_000) }),
  z.strictObject({ kind: z.literal("bulyan"), f: byzantine }),
]);

const Aggregation = z.discriminatedUnion("mode", [
  /** Synchronous rounds: see `round`. */
  z.strictObject({ mode: z.literal("sync"), robust: Robust.default({ kind: "mean" }) }),
  /** Buffered asynchronous aggregation (FedBuff, Nguyen et al. 2022). */
  z.strictObject({
    mode: z.literal("async"),
    /** K: the coordinator applies a step whenever this many updates have arrived. */
    bufferSize: z.int().min(1).max(1_000_000).default(10),
    /** Clusters flush at most this long after their first buffered update (regions after half of it). */
    flushSeconds: z.number().min(0.1).max(3600).default(5),
    robust: Robust.default({ kind: "mean" }),
  }),
]);

/**
 * Gaming detection and reputation at the cluster (shared/trust; docs/architecture.md#trust).
 * Off by default: the detectors judge each update against its batch, and honest updates on
 * very non-IID data can look like outliers; turn it on, and check the false positives in
 * the admin view's metrics, for populations where that matters less than gaming.
 */
const Trust = z.strictObject({
  detect: z.boolean().default(false),
  /** Less work than this per example between check-in and upload is impossibly fast; 0 turns the check off. */
  minMsPerExample: z.number().min(0).max(60_000).default(0),
  /** Reputation evidence halves in this time. */
  reputationHalfLifeHours: z.number().positive().max(8_760).default(24),
  /** A device whose reputation falls below this is quarantined (uploads refused, 403 quarantined)… */
  quarantineBelow: z.number().min(0).lt(0.5).default(0.3),
  /** …for this long. */
  quarantineMinutes: z.number().positive().max(43_200).default(60),
});

const StalenessPolicy = z.strictObject({
  /** s(τ), the weight of an update τ versions old. */
  weight: Staleness.default({ kind: "inverse-sqrt" }),
  /** Updates staler than this are refused (`stale_update`) before they are acknowledged. */
  maxStaleness: z.int().min(0).max(1_000_000).default(10),
});

const RoundPolicy = z
  .strictObject({
    /** A round closes as soon as this many updates have reached the coordinator. */
    targetUpdates: z.int().min(1).max(1_000_000).default(100),
    /** …or when this many seconds have passed since it opened, if at least minUpdates arrived. */
    deadlineSeconds: z.int().min(1).max(86_400).default(600),
    minUpdates: z.int().min(1).max(1_000_000).default(1),
    /**
     * Synchronous rounds: let about this many times targetUpdates devices train per round and
     * queue the rest (shared/selection/over-selection.ts); null lets every member train.
     */
    overSelection: z.number().min(1).max(10).nullable().default(null),
  })
  .refine((r) => r.minUpdates <= r.targetUpdates, {
    path: ["minUpdates"],
    message: "minUpdates must be <= targetUpdates",
  });

const Clusters = z.strictObject({
  /** Devices per cluster aggregator (Bonawitz et al. 2019 use aggregators of hundreds; we default to 10). */
  targetSize: z.int().min(1).max(1_000).default(10),
  /**
   * A member counts toward its cluster's completeness on version v only if it checked in
   * to train, or uploaded, while the current version was at least v − this (docs/architecture.md#membership).
   */
  inactiveAfterVersions: z.int().min(0).max(1_000).default(1),
  /**
   * How long after a registration the region's directory re-clusters its devices by
   * latency (k-means within [⌈targetSize/2⌉, ⌊3·targetSize/2⌋]); 0 never re-clusters
   * (docs/architecture.md#clustering).
   */
  reclusterSeconds: z.int().min(0).max(86_400).default(600),
  /**
   * The most children any node of a region's aggregation tree has: past F clusters the
   * region gains a level of inner aggregators (docs/architecture.md#the-aggregation-tree).
   */
  fanIn: z.int().min(2).max(1_000).default(32),
  /**
   * Directories per region: registration is spread over this many, by Cloudflare location,
   * each placing devices in its own clusters (docs/architecture.md#clustering). Fixed once
   * the task exists.
   */
  directoryShards: z.int().min(1).max(64).default(1),
});

/**
 * L2-norm clipping of every device update at its cluster: Δ ← Δ · min(1, C / ‖Δ‖).
 * `adaptive` takes C = multiplier × the median of the cluster's recent accepted norms
 * (after Andrew et al., "Differentially Private Learning with Adaptive Clipping",
 * NeurIPS 2021, which tracks a norm quantile; the median is their γ = ½), and C = maxNorm
 * (or no bound) until minHistory norms are known; maxNorm, when given, also caps C.
 */
const Clipping = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("off") }),
  z.strictObject({ kind: z.literal("fixed"), maxNorm: z.number().positive().max(1e30) }),
  z
    .strictObject({
      kind: z.literal("adaptive"),
      multiplier: z.number().min(1).max(1_000).default(4),
      window: z.int().min(1).max(10_000).default(50),
      minHistory: z.int().min(1).max(10_000).default(5),
      maxNorm: z.number().positive().max(1e30).optional(),
    })
    .refine((c) => c.minHistory <= c.window, {
      path: ["minHistory"],
      message: "minHistory must be <= window",
    }),
]);

const Limits = z.strictObject({
  /** The largest sample weight (training examples) one update may claim; larger is refused with sample_weight_too_large. */
  maxSampleWeight: z.number().positive().max(1e30).default(100_000),
  clipping: Clipping.default({ kind: "adaptive", multiplier: 4, window: 50, minHistory: 5 }),
});

/**
 * How the density assigned at check-in moves with the version trained on: fixed, or the
 * warm-up of Deep Gradient Compression (Lin et al., ICLR 2018), which starts dense while
 * the model changes fast and decays exponentially to the floor: density(v) =
 * max(c^(v+1), floor) with c = floor^(1/warmupVersions), so the floor is reached at
 * version warmupVersions − 1 (shared/codecs/schedule.ts).
 */
const CompressionSchedule = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("fixed") }),
  z.strictObject({ kind: z.literal("exponential-decay"), warmupVersions: z.int().min(1).max(100_000) }),
]);

/**
 * Quality-aware compression (shared/codecs/quality.ts): at each published version the
 * coordinator compares the federated evaluation loss of the last `window` evaluated
 * versions, newer half against older half; stalling or rising (not `tolerance` lower,
 * relative) doubles the density every device is assigned, up to `maxShift` times and never
 * past dense; improving halves the shift back toward 1.
 */
const CompressionQuality = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("off") }),
  z.strictObject({
    kind: z.literal("loss-window"),
    window: z.int().min(2).max(1_000).default(6),
    tolerance: z.number().min(0).max(1).default(0.01),
    maxShift: z.number().min(1).max(1_000_000).default(16),
    /** Versions evaluated by fewer devices are not counted. */
    minReports: z.int().min(1).max(1_000_000).default(3),
  }),
]);

const Bits = z.union([z.literal(32), z.literal(16), z.literal(8), z.literal(4)]);

/**
 * The learned per-device controller (shared/codecs/controller.ts): a contextual bandit
 * (LinUCB, Li et al. 2010) over the levels `densities × bits`, kept by each cluster for
 * its members. Each device's level is chosen at check-in from its measured uplink, RTT,
 * battery and recent refusals; the reward of a level (weights `reward`, summing to 1) is
 * the share of `uploadBudgetSeconds` the upload left unused, one minus the residual-norm
 * ratio the device reports from error feedback, and the cosine of the update with its
 * cluster's aggregate. A device with no measurement yet gets `density` and `bits`.
 */
const CompressionController = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("off") }),
  z.strictObject({
    kind: z.literal("linucb"),
    densities: z
      .array(z.number().gt(0).max(1))
      .min(1)
      .max(12)
      .default([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1]),
    bits: z.array(Bits).min(1).max(4).default([4, 8, 16]),
    uploadBudgetSeconds: z.number().positive().max(3600).default(1),
    /** The width of the confidence bonus: 0 never explores beyond the estimates. */
    alpha: z.number().min(0).max(10).default(0.3),
    reward: z
      .strictObject({
        time: z.number().min(0).max(1),
        error: z.number().min(0).max(1),
        usefulness: z.number().min(0).max(1),
      })
      .refine((w) => Math.abs(w.time + w.error + w.usefulness - 1) < 1e-9, {
        message: "reward weights must sum to 1",
      })
      .default({ time: 0.4, error: 0.3, usefulness: 0.3 }),
    /**
     * The cluster's mean upload at most dense f32's bytes ÷ `ratio`: each level's score pays
     * a price per byte that rises while the levels assigned run over the budget and falls
     * while they run under it (docs/architecture.md#adaptive-compression). Off when absent.
     */
    byteBudget: z
      .strictObject({
        ratio: z.number().min(1).max(100_000),
        /** How far one assignment moves the price, per budget's worth of bytes over or under. */
        step: z.number().gt(0).max(1).default(0.05),
      })
      .optional(),
  }),
]);

/**
 * The compression the server assigns devices at check-in (docs/codecs.md): top-k density
 * (the floor, with a schedule) and bits per value, with error feedback on the device (DGC,
 * Lin et al. 2018). The default sends dense f32.
 */
const Compression = z
  .strictObject({
    density: z.number().gt(0).max(1).default(1),
    bits: Bits.default(32),
    schedule: CompressionSchedule.default({ kind: "fixed" }),
    quality: CompressionQuality.default({ kind: "off" }),
    controller: CompressionController.default({ kind: "off" }),
  })
  .refine((c) => c.controller.kind === "off" || c.schedule.kind === "fixed", {
    path: ["schedule"],
    message: "compression.controller chooses each device's density: the schedule must be fixed",
  });

const Devices = z.strictObject({
  /** A device below this battery level that is not charging is told to wait (shared/battery-policy.ts). */
  minBatteryLevel: z.number().min(0).max(1).default(0.2),
});

/**
 * Differential privacy at the coordinator (docs/architecture.md#privacy): every update is
 * clipped at its cluster to L2 norm clipNorm and counted with weight 1, and each published
 * version adds N(0, (noiseMultiplier · clipNorm)²) to every coordinate of the round's sum
 * (DP-FedAvg, McMahan et al., ICLR 2018). A Rényi-DP accountant reports ε for delta after
 * every version; with epsilonBudget, no version is published past it.
 */
const Dp = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("off") }),
  z.strictObject({
    kind: z.literal("central"),
    /** C: each device update is scaled to at most this L2 norm. */
    clipNorm: z.number().positive().max(1e6),
    /** σ: the noise's standard deviation over C. */
    noiseMultiplier: z.number().positive().max(1_000),
    /**
     * q: the chance that a given device's update is in a given version, as the accountant
     * assumes. 1 (the default) claims no amplification by sampling; a smaller value is
     * only sound if participation is random (each device independently, at rate q).
     */
    samplingRate: z.number().gt(0).max(1).default(1),
    delta: z.number().gt(0).max(0.1).default(1e-5),
    /** No version is published that would take ε past this; devices are then refused (privacy_budget_spent). */
    epsilonBudget: z.number().positive().max(1e6).optional(),
  }),
  /**
   * Distributed DP (Kairouz, Liu and Steinke, ICML 2021), with privacy.secureAggregation:
   * each device adds discrete Gaussian noise of std σC/√m to its fixed-point update before
   * masking (C its clipNorm, m the round size), so the sum of m carries N(0, (σC)²) and no
   * one sees any device's noise; the accountant charges each version at the noise its
   * updates actually carried.
   */
  z.strictObject({
    kind: z.literal("distributed"),
    noiseMultiplier: z.number().positive().max(1_000),
    samplingRate: z.number().gt(0).max(1).default(1),
    delta: z.number().gt(0).max(0.1).default(1e-5),
    epsilonBudget: z.number().positive().max(1e6).optional(),
  }),
]);

/**
 * Secure aggregation inside each cluster (shared/privacy/secagg; docs/architecture.md#privacy):
 * devices mask their updates so that the cluster object learns only their sum, which it
 * then sends up the tree as today. Each round is one model version of one cluster.
 */
const SecureAggregation = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("off") }),
  z.strictObject({
    kind: z.literal("secagg"),
    /** Devices clip their update to this L2 norm before masking: the cluster cannot see it to clip. */
    clipNorm: z.number().positive().max(1e6),
    /** t, as a share of the round's roster: more than half (so no device's masks can be revealed twice), at most all. */
    threshold: z.number().gt(0.5).max(1).default(0.6),
    /** How long each of a round's four phases waits for its members before going on with those it has. */
    phaseSeconds: z.number().min(1).max(3600).default(30),
    /** A round with fewer members advertising keys is abandoned (a sum of two reveals each to the other). */
    minMembers: z.int().min(3).max(1000).default(3),
  }),
]);

const Privacy = z.strictObject({
  dp: Dp.default({ kind: "off" }),
  secureAggregation: SecureAggregation.default({ kind: "off" }),
});

/**
 * How long a cluster keeps what is not needed to aggregate (docs/architecture.md#privacy):
 * updates themselves are deleted as soon as their batch is acknowledged upstream.
 */
const Retention = z.strictObject({
  /** Receipts of accepted updates: a resend within this gets its original receipt. */
  receiptsHours: z.number().min(1).max(8_760).default(168),
  /** A member's last battery and network report, erased once it has not checked in for this long. */
  telemetryHours: z.number().min(1).max(8_760).default(720),
});

const Placement = z.strictObject({
  coordinatorRegion: z.enum(REGIONS).default("enam"),
});

export const TaskConfigSchema = z
  .strictObject({
    model: ModelSpec,
    optimizer: Optimizer.default({ kind: "fedavg", serverLearningRate: 1 }),
    aggregation: Aggregation.default({ mode: "sync", robust: { kind: "mean" } }),
    staleness: StalenessPolicy.default({ weight: { kind: "inverse-sqrt" }, maxStaleness: 10 }),
    round: RoundPolicy.default({
      targetUpdates: 100,
      deadlineSeconds: 600,
      minUpdates: 1,
      overSelection: null,
    }),
    clusters: Clusters.default({
      targetSize: 10,
      inactiveAfterVersions: 1,
      reclusterSeconds: 600,
      fanIn: 32,
      directoryShards: 1,
    }),
    trust: Trust.default({
      detect: false,
      minMsPerExample: 0,
      reputationHalfLifeHours: 24,
      quarantineBelow: 0.3,
      quarantineMinutes: 60,
    }),
    limits: Limits.default({
      maxSampleWeight: 100_000,
      clipping: { kind: "adaptive", multiplier: 4, window: 50, minHistory: 5 },
    }),
    devices: Devices.default({ minBatteryLevel: 0.2 }),
    compression: Compression.default({
      density: 1,
      bits: 32,
      schedule: { kind: "fixed" },
      quality: { kind: "off" },
      controller: { kind: "off" },
    }),
    placement: Placement.default({ coordinatorRegion: "enam" }),
    privacy: Privacy.default({ dp: { kind: "off" }, secureAggregation: { kind: "off" } }),
    retention: Retention.default({ receiptsHours: 168, telemetryHours: 720 }),
  })
  .superRefine((config, ctx) => {
    if (config.round.overSelection !== null && config.aggregation.mode !== "sync") {
      ctx.addIssue({
        code: "custom",
        path: ["round", "overSelection"],
        message: "over-selection is for synchronous rounds: FedBuff takes every update as it comes",
      });
    }
    if (config.privacy.secureAggregation.kind !== "off") {
      // The cluster sees only the sum: nothing that needs the individual updates can run there.
      const needs = (path: string[], what: string) =>
        ctx.addIssue({
          code: "custom",
          path,
          message: `privacy.secureAggregation hides individual updates: ${what}`,
        });
      if (config.aggregation.robust.kind !== "mean")
        needs(["aggregation", "robust"], "only the mean can aggregate a masked sum");
      if (config.trust.detect)
        needs(["trust", "detect"], "the detectors judge individual updates; turn detect off");
      if (config.privacy.dp.kind === "central")
        needs(["privacy", "dp", "kind"], 'the devices must add the noise: use "distributed"');
      if (config.compression.controller.kind !== "off")
        needs(["compression", "controller"], "the controller's reward needs each update's usefulness");
      return;
    }
    if (config.privacy.dp.kind === "off") return;
    if (config.privacy.dp.kind === "distributed") {
      ctx.addIssue({
        code: "custom",
        path: ["privacy", "dp", "kind"],
        message:
          "distributed DP needs privacy.secureAggregation: a device's noise is hidden only inside a masked sum",
      });
      return;
    }
    // A device's influence on a version must be its clipped update and nothing more.
    if (config.aggregation.robust.kind !== "mean") {
      ctx.addIssue({
        code: "custom",
        path: ["aggregation", "robust"],
        message: `privacy.dp needs the mean: ${config.aggregation.robust.kind} depends on every update of a batch, so one device's influence is not bounded by clipNorm`,
      });
    }
    if (config.trust.detect) {
      ctx.addIssue({
        code: "custom",
        path: ["trust", "detect"],
        message:
          "privacy.dp needs detect off: flagging one update as an outlier depends on the others, so one device's influence is not bounded by clipNorm",
      });
    }
  });

export type TaskConfigInput = z.input<typeof TaskConfigSchema>;
export type TaskConfig = z.output<typeof TaskConfigSchema>;
export type TensorLayout = TaskConfig["model"]["layout"];

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Formats a zod path as `model.layout[2].offset`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || "(root)";
}

/** Validates a task config; throws FedgeError("invalid_config") listing every bad field path. */
export function parseTaskConfig(input: unknown): TaskConfig {
  const result = TaskConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  throw new FedgeError("invalid_config", problems.join("; "));
}

/**
 * The layout hash devices echo in every frame: the first 4 bytes of SHA-256 over the
 * canonical layout (JSON of [name, shape, offset] triples in offset order), as 8 hex
 * digits in byte order — exactly the frame's bytes 40..43.
 */
export async function layoutHash(layout: TensorLayout): Promise<string> {
  const canonical = JSON.stringify(
    [...layout].sort((a, b) => a.offset - b.offset).map((t) => [t.name, t.shape, t.offset]),
  );
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return toHex(new Uint8Array(digest, 0, 4));
}

/**
 * What cannot change once a task exists: the model (its size, layout and initial
 * weights), where its coordinator lives, whether it is differentially private or
 * aggregated securely, and how many directory shards each region has.
 * Returns the first difference, or null.
 */
export function immutableChange(
  before: TaskConfig,
  after: TaskConfig,
  hashes: [string, string],
): string | null {
  if (before.model.parameters !== after.model.parameters) return "model.parameters";
  if (hashes[0] !== hashes[1]) return "model.layout";
  if (JSON.stringify(before.model.init) !== JSON.stringify(after.model.init)) return "model.init";
  if (before.placement.coordinatorRegion !== after.placement.coordinatorRegion)
    return "placement.coordinatorRegion";
  // Versions published without noise cannot be accounted for later, nor noisy ones forgotten.
  if (before.privacy.dp.kind !== after.privacy.dp.kind) return "privacy.dp.kind";
  if (before.privacy.secureAggregation.kind !== after.privacy.secureAggregation.kind)
    return "privacy.secureAggregation.kind";
  // A device's shard is its cluster index modulo the shards: another count would lose it.
  if (before.clusters.directoryShards !== after.clusters.directoryShards) return "clusters.directoryShards";
  return null;
}

/** Share of the round deadline a cluster (resp. region) may hold a non-empty batch in synchronous mode. */
export const CLUSTER_WAIT_FRACTION = 0.5;
export const REGION_WAIT_FRACTION = 0.25;

/**
 * How long the cluster and region tiers may hold a non-empty batch: in synchronous
 * rounds, fractions of the round deadline that add up to less than it; in asynchronous
 * mode, the short flush interval, so the coordinator's buffer keeps moving.
 */
export function tierWaits(config: TaskConfig): { clusterWaitMs: number; regionWaitMs: number } {
  if (config.aggregation.mode === "async") {
    const ms = config.aggregation.flushSeconds * 1000;
    return { clusterWaitMs: ms, regionWaitMs: ms / 2 };
  }
  const ms = config.round.deadlineSeconds * 1000;
  return { clusterWaitMs: ms * CLUSTER_WAIT_FRACTION, regionWaitMs: ms * REGION_WAIT_FRACTION };
}
