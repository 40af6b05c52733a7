/**
 * The JSON wire contract: every JSON request and response body of the HTTP API
 * (docs/protocol.md#endpoints). Routes validate requests and type their answers with these
 * schemas; the SDK, its fake server and the tests take their types from them; and
 * docs/openapi.json is generated from them (shared/protocol/openapi.ts).
 */
import { z } from "zod";
import { ERROR_STATUS } from "../errors";
import { REGIONS } from "../regions";
import { TaskConfigSchema } from "./task-config";

const Region = z.enum(REGIONS);
const Timestamp = z.string().describe("ISO-8601 UTC");
const Count = z.int().nonnegative();
const Hex8 = z.string().regex(/^[0-9a-f]{8}$/);
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    message: z.string(),
  }),
});

/** `GET /`. */
export const ServiceIndexSchema = z.strictObject({
  service: z.literal("fedge"),
  docs: z.string(),
  openapi: z.string(),
  endpoints: z.array(z.string()),
});

// ---- Devices ----

export const LayoutTensorSchema = z.strictObject({
  name: z.string(),
  shape: z.array(z.int().positive()),
  offset: Count,
});

/** `POST /v1/tasks/:task/devices` → 201. The client stores it as is: it is the device's identity. */
export const RegistrationSchema = z.strictObject({
  deviceId: z.string(),
  token: z.string(),
  tokenExpiresAt: Timestamp,
  region: Region,
  cluster: Count,
  task: z.strictObject({
    id: z.string(),
    parameters: z.int().positive(),
    layout: z.array(LayoutTensorSchema),
    layoutHash: Hex8,
    codecs: z.array(z.string()),
    maxUploadBytes: z.int().positive(),
    modelVersion: Count,
  }),
});

export const BatteryStatusSchema = z.strictObject({
  level: z.number().min(0).max(1),
  charging: z.boolean(),
});

export const NetworkTypeSchema = z.enum(["wifi", "cellular", "ethernet", "unknown"]);

export const NetworkStatusSchema = z.strictObject({
  type: NetworkTypeSchema,
  rttMs: z.number().nonnegative().max(600_000).optional(),
  uplinkBytesPerSecond: z.number().nonnegative().optional(),
});

/**
 * `POST /v1/tasks/:task/devices`. Optional: what the device measured of its link, which
 * places it among devices near it on the network (docs/architecture.md#clustering); other
 * keys are ignored.
 */
export const RegisterRequestSchema = z.looseObject({
  network: NetworkStatusSchema.optional(),
});

/**
 * What the device's previous upload met, for the compression controller: the residual-norm
 * ratio its error feedback left (‖residual‖ / ‖update + carried residual‖), and how many of
 * its uploads were refused for load (429, 503) since its previous check-in.
 */
export const CompressionReportSchema = z.strictObject({
  residualRatio: z.number().min(0).max(1).optional(),
  refusedUploads: z.int().min(0).max(1_000_000).optional(),
});

/** `POST /v1/tasks/:task/checkin`. An empty body is `{}`. */
export const CheckinRequestSchema = z.strictObject({
  deviceId: z.string().optional(),
  battery: BatteryStatusSchema.optional(),
  network: NetworkStatusSchema.optional(),
  compression: CompressionReportSchema.optional(),
});

export const ModelRefSchema = z.strictObject({ version: Count, manifestUrl: z.string() });

/** The compression the server assigns (task config `compression`): top-k density and bits per value. */
export const CompressionHintSchema = z.strictObject({
  density: z.number().gt(0).max(1).optional(),
  bits: z.union([z.literal(32), z.literal(16), z.literal(8), z.literal(4)]).optional(),
});

export const TrainingPolicySchema = z.strictObject({
  minBatteryLevel: z.number().min(0).max(1),
  /** The fraction of its usual local work the server asks for, in (0, 1]. */
  workScale: z.number().gt(0).max(1),
});

/** Present when the device's token was renewed with this answer. */
const TokenRenewal = {
  token: z.string().optional(),
  tokenExpiresAt: Timestamp.optional(),
};

/**
 * With privacy.secureAggregation: the update goes through the cluster's secure round for
 * the version instead of `upload.url` (docs/protocol.md#secure-aggregation).
 */
export const SecureRoundRefSchema = z.strictObject({
  url: z.string(),
  /** Clip the update to this L2 norm before quantizing and masking it. */
  clipNorm: z.number().positive(),
  /** Each phase waits this long for members before going on without them. */
  phaseSeconds: z.number().positive(),
});

export const TrainAnswerSchema = z.strictObject({
  action: z.literal("train"),
  round: Count,
  deadline: Timestamp,
  model: ModelRefSchema,
  upload: z.strictObject({
    url: z.string(),
    baseVersion: Count,
    layoutHash: Hex8,
    compression: CompressionHintSchema.optional(),
    /** How many updates this device may have in flight now (the server's flow-control window). */
    credits: Count.optional(),
    secure: SecureRoundRefSchema.optional(),
  }),
  policy: TrainingPolicySchema.optional(),
  ...TokenRenewal,
});

export const WaitReasonSchema = z.enum(["assigned", "closing", "battery", "queued"]);

export const WaitAnswerSchema = z.strictObject({
  action: z.literal("wait"),
  retryAfterSeconds: z.number().nonnegative(),
  reason: WaitReasonSchema.optional(),
  /** reason "queued" (over-selection): the device's place among the members queued for this version. */
  position: z.int().positive().optional(),
  round: Count.optional(),
  model: ModelRefSchema,
  ...TokenRenewal,
});

export const CheckinAnswerSchema = z.discriminatedUnion("action", [TrainAnswerSchema, WaitAnswerSchema]);

// ---- Secure aggregation rounds (docs/protocol.md#secure-aggregation) ----

const Base64Url = z.string().regex(/^[A-Za-z0-9_-]*$/);
const Point = Base64Url.length(87); // 65 bytes: an uncompressed P-256 point
const DeviceId = z.string().min(1).max(200);

export const AdvertisementSchema = z.strictObject({ device: DeviceId, cPk: Point, sPk: Point });

/** `POST /v1/tasks/:task/secure/:version/keys`: the device's two public keys. */
export const SecureKeysSchema = z.strictObject({ cPk: Point, sPk: Point });

/** `POST /v1/tasks/:task/secure/:version/shares`: one encrypted share pair for each other member. */
export const SecureSharesSchema = z.strictObject({
  shares: z.array(z.strictObject({ to: DeviceId, ciphertext: Base64Url.max(4096) })).max(1000),
});

/** `POST /v1/tasks/:task/secure/:version/unmask`: one revealed share for each member that shared keys. */
export const SecureUnmaskSchema = z.strictObject({
  shares: z
    .array(z.strictObject({ of: DeviceId, kind: z.enum(["self", "key"]), y: Base64Url.max(64) }))
    .max(1000),
});

/** What every secure-round call answers: the round as the asking device needs to see it. */
export const SecureRoundViewSchema = z.strictObject({
  version: Count,
  /** What the round's keys, shares and masks are bound to. */
  name: z.string(),
  phase: z.enum(["keys", "shares", "masked", "unmask", "done", "abandoned"]),
  deadlineAt: z.number(),
  threshold: Count.nullable(),
  roster: z.array(AdvertisementSchema).nullable(),
  incoming: z.array(z.strictObject({ from: DeviceId, to: DeviceId, ciphertext: Base64Url })).nullable(),
  survivors: z.array(DeviceId).nullable(),
  bound: z.number(),
  scale: z.number(),
  noiseStd: z.number().nonnegative(),
  member: z.boolean(),
  reason: z.string().nullable(),
});

/** `POST /v1/tasks/:task/evaluations`. */
export const EvaluationReportSchema = z.strictObject({
  version: Count,
  loss: z.number().nonnegative(),
  accuracy: z.number().min(0).max(1),
  examples: z.int().min(1).max(100_000_000),
});

/** `POST /v1/tasks/:task/evaluations` → 202: `examples` is what the report counts for (capped). */
export const EvaluationAcceptedSchema = z.strictObject({ accepted: z.literal(true), examples: Count });

export const GraphRefSchema = z.strictObject({ url: z.string(), sha256: Sha256, byteLength: Count });

/** `GET /v1/tasks/:task/model`. */
export const ManifestSchema = z.strictObject({
  task: z.string(),
  version: Count,
  parameters: z.int().positive(),
  layout: z.array(LayoutTensorSchema),
  layoutHash: Hex8,
  byteLength: Count,
  sha256: Sha256,
  createdAt: Timestamp,
  weightsUrl: z.string(),
  /** The task's ONNX graph (initializers in the weights blob as external data), if the operator set one. */
  graph: GraphRefSchema.nullable(),
});

/** `POST /v1/tasks/:task/updates` → 202 (also the answer to a resend of the same update id). */
export const UpdateReceiptSchema = z.strictObject({
  updateId: z.string(),
  status: z.literal("accepted"),
  receivedAt: Timestamp,
});

// ---- Admin ----

/** `PUT /v1/admin/tasks/:task`: the task configuration (docs/protocol.md#task-configuration). */
export const TaskConfigRequestSchema = TaskConfigSchema;

/** A published version's manifest as the coordinator keeps it; `POST …/rollback` → 201. */
export const ModelManifestSchema = z.strictObject({
  task: z.string(),
  version: Count,
  parameters: z.int().positive(),
  layoutHash: Hex8,
  byteLength: Count,
  sha256: Sha256,
  /** R2 key of the weights blob. */
  key: z.string(),
  createdAt: Timestamp,
  /** The round whose updates produced this version (0 for the initial model). */
  fromRound: Count,
  updates: Count,
  /** For a version published by a rollback: the version whose weights it republishes. */
  rollbackOf: Count.nullable(),
});

const PerRegion = <T extends z.ZodType>(value: T) => z.partialRecord(Region, value);

export const TaskViewSchema = z.strictObject({
  task: z.strictObject({
    id: z.string(),
    config: TaskConfigSchema,
    layoutHash: Hex8,
    createdAt: Timestamp,
  }),
  graph: z.strictObject({ sha256: Sha256, byteLength: Count, key: z.string() }).nullable(),
  model: ModelManifestSchema,
  round: z.strictObject({
    round: Count,
    /** Milliseconds since the epoch. */
    openedAt: z.number(),
    deadlineAt: z.number(),
    updates: Count,
    publishing: z.boolean(),
    /** With round.overSelection: the share of each cluster's members this round lets train. */
    selectionShare: z.number().optional(),
  }),
  optimizer: z.strictObject({ kind: z.string(), step: Count }),
  /** compression.quality's factor on every device's assigned density: 1 unless the loss stalled. */
  compressionShift: z.number().min(1),
  /** Inner levels of each region's aggregation tree (absent: none; docs/architecture.md#the-aggregation-tree). */
  tree: PerRegion(Count),
  /** With privacy.dp: ε spent at δ; `spent` once no further version fits the budget. */
  privacy: z
    .strictObject({
      epsilon: z.number().nonnegative(),
      delta: z.number(),
      budget: z.number().nullable(),
      spent: z.boolean(),
      versions: Count,
    })
    .nullable(),
});

export const DeadLetterReportSchema = z.strictObject({
  tier: z.string(),
  seq: Count,
  updates: Count,
  sources: z.array(z.string()),
  code: z.string(),
  message: z.string(),
  at: z.number(),
});

export const VersionEvaluationSchema = z.strictObject({
  version: Count,
  reports: Count,
  examples: Count,
  loss: z.number(),
  accuracy: z.number(),
});

/** `GET /v1/admin/tasks/:task`; `PUT` answers with the task view alone (201 created, 200 updated). */
export const AdminTaskViewSchema = z.strictObject({
  ...TaskViewSchema.shape,
  totals: z.strictObject({ published: Count, coordinator: Count, regions: PerRegion(Count) }),
  versions: z.array(
    z.strictObject({
      version: Count,
      round: Count,
      updates: Count,
      weight: z.number(),
      createdAt: Timestamp,
      rollbackOf: Count.nullable(),
      /** With privacy.dp: ε spent once this version was out. */
      epsilon: z.number().nullable(),
    }),
  ),
  deadLetters: z.strictObject({ batches: Count, updates: Count, recent: z.array(DeadLetterReportSchema) }),
  evaluations: z.array(VersionEvaluationSchema),
});

/** `PUT /v1/admin/tasks/:task/graph` (body: the ONNX graph bytes) → 200. */
export const GraphStoredSchema = z.strictObject({ sha256: Sha256, byteLength: Count, url: z.string() });

/** `POST /v1/admin/tasks/:task/rollback`. */
export const RollbackRequestSchema = z.strictObject({ version: Count });

export const MemberViewSchema = z.strictObject({
  device: z.string(),
  joinedAt: Timestamp,
  lastSeenAt: Timestamp,
  activeVersion: Count.nullable(),
  reputation: z.number().min(0).max(1).nullable(),
  quarantinedUntil: Timestamp.nullable(),
  detections: Count,
  lastDetection: z.string().nullable(),
});

/** `GET /v1/admin/tasks/:task/clusters/:region/:index`. */
export const ClusterViewSchema = z.strictObject({
  region: Region,
  index: Count,
  configured: z.boolean(),
  openUpdates: Count,
  openWeight: z.number(),
  pending: z
    .strictObject({ seq: Count, attempts: Count, nextAttemptAt: z.number(), updates: Count })
    .nullable(),
  deadLetters: z.strictObject({
    inputs: Count,
    updates: Count,
    batches: Count,
    recent: z.array(
      z.strictObject({
        id: z.string(),
        source: z.string(),
        count: Count,
        weight: z.number(),
        seq: Count,
        code: z.string(),
        message: z.string(),
        at: z.number(),
      }),
    ),
  }),
  members: z.array(MemberViewSchema),
  /**
   * With compression.controller: per level, the updates it has learned from and its estimate
   * of the learned part of the reward (error and usefulness) on a 5 Mbit/s link; the pulls
   * not yet settled; and the byte budget's price per budget's worth of bytes (0 without a
   * budget). Null without a controller.
   */
  compression: z
    .strictObject({
      levels: z.array(
        z.strictObject({
          density: z.number(),
          bits: z.number(),
          pulls: Count,
          learned: z.number(),
        }),
      ),
      pending: Count,
      price: z.number().min(0),
    })
    .nullable(),
});

export const PercentilesSchema = z.strictObject({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  count: Count,
});

export const RegionShapeSchema = z.strictObject({
  clusters: Count,
  devices: Count,
  /** Registered devices in the fullest cluster. */
  maxClusterSize: Count,
  /** Registered devices in the emptiest cluster that has any. */
  minClusterSize: Count,
  /** Latency re-clusterings the region's directory has run, and the devices they moved. */
  reclusterings: Count,
  moved: Count,
  /** Levels of inner aggregators between its clusters and its root, and the most children any node has. */
  innerLevels: Count,
  maxFanIn: Count,
  /** The cluster size the region aims at now: clusters.targetSize moved by automatic sizing (0 before any registration). */
  targetSize: Count,
});

/** `POST /v1/admin/tasks/:task/regions/:region/recluster`: the region's shape after re-clustering, and the devices moved. */
export const ReclusterResultSchema = z.strictObject({
  region: Region,
  movedNow: Count,
  shape: RegionShapeSchema,
});

/** `GET /v1/admin/tasks/:task/regions/:region/tree`: the region's aggregation tree, node by node. */
export const RegionTreeSchema = z.strictObject({
  region: Region,
  fanIn: Count,
  innerLevels: Count,
  /** The clusters' index span the tree is built over. */
  clusters: Count,
  /** Bottom up; the root last (level innerLevels + 1). Children heard from and partials merged, since the node began. */
  nodes: z.array(
    z.strictObject({ name: z.string(), level: Count, index: Count, children: Count, partials: Count }),
  ),
  /** The coordinator: region roots heard from and partials merged (all regions). */
  coordinator: z.strictObject({ children: Count, partials: Count }),
});

/** `GET /v1/tasks/:task/status` (admin): what the dashboard shows. */
export const TaskStatusSchema = z.strictObject({
  task: z.string(),
  generatedAt: Timestamp,
  model: z.strictObject({ version: Count, createdAt: Timestamp, updates: Count }),
  round: z.strictObject({ round: Count, updates: Count, deadlineAt: z.number() }),
  versions: z.array(
    z.strictObject({
      version: Count,
      createdAt: Timestamp,
      updates: Count,
      accuracy: z.number().nullable(),
      loss: z.number().nullable(),
    }),
  ),
  updatesPerSecond: z.number().nullable(),
  updates: z.strictObject({
    accepted: Count,
    refused: z.record(z.string(), Count),
    clipped: Count,
    deadLettered: Count,
  }),
  latency: z.record(z.string(), PercentilesSchema),
  compression: z.strictObject({
    payloadBytes: Count,
    denseBytes: Count,
    ratio: z.number().nullable(),
    bytesSaved: z.number(),
  }),
  flushes: z.record(z.string(), z.strictObject({ batches: Count, meanUpdates: z.number().nullable() })),
  fillRatio: PercentilesSchema,
  shed: z.record(z.string(), Count),
  gaming: z.record(z.string(), Count),
  quarantines: Count,
  tree: z.strictObject({ depth: z.int().positive(), regions: PerRegion(RegionShapeSchema) }),
});

export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export type ServiceIndex = z.infer<typeof ServiceIndexSchema>;
export type LayoutTensor = z.infer<typeof LayoutTensorSchema>;
export type Registration = z.infer<typeof RegistrationSchema>;
export type BatteryStatus = z.infer<typeof BatteryStatusSchema>;
export type NetworkType = z.infer<typeof NetworkTypeSchema>;
export type NetworkStatus = z.infer<typeof NetworkStatusSchema>;
export type CheckinRequest = z.infer<typeof CheckinRequestSchema>;
export type ModelRef = z.infer<typeof ModelRefSchema>;
export type CompressionHint = z.infer<typeof CompressionHintSchema>;
export type TrainingPolicy = z.infer<typeof TrainingPolicySchema>;
export type TrainAnswer = z.infer<typeof TrainAnswerSchema>;
export type WaitReason = z.infer<typeof WaitReasonSchema>;
export type WaitAnswer = z.infer<typeof WaitAnswerSchema>;
export type CheckinAnswer = z.infer<typeof CheckinAnswerSchema>;
export type EvaluationReport = z.infer<typeof EvaluationReportSchema>;
export type EvaluationAccepted = z.infer<typeof EvaluationAcceptedSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;
export type UpdateReceipt = z.infer<typeof UpdateReceiptSchema>;
export type ModelManifest = z.infer<typeof ModelManifestSchema>;
export type TaskViewBody = z.infer<typeof TaskViewSchema>;
export type AdminTaskViewBody = z.infer<typeof AdminTaskViewSchema>;
export type GraphStored = z.infer<typeof GraphStoredSchema>;
export type RollbackRequest = z.infer<typeof RollbackRequestSchema>;
export type ClusterView = z.infer<typeof ClusterViewSchema>;
export type ReclusterResult = z.infer<typeof ReclusterResultSchema>;
export type RegionTree = z.infer<typeof RegionTreeSchema>;
export type TaskStatusBody = z.infer<typeof TaskStatusSchema>;
export type SecureRoundViewBody = z.infer<typeof SecureRoundViewSchema>;
