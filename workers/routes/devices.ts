/** Device registration and check-in. */
import { type Context, Hono } from "hono";
import type { CheckinDecision } from "../../durable-objects/cluster-aggregator";
import { clusterIdentity, directoryTask } from "../../durable-objects/identities";
import type { Handover } from "../../durable-objects/storage/cluster-members";
import { clusterStub, directoryStub, shardOf } from "../../durable-objects/stubs";
import type { DeviceFeatures } from "../../shared/clustering/kmeans";
import { SUPPORTED_CODECS } from "../../shared/codecs/ids";
import { assignedCompression } from "../../shared/codecs/schedule";
import { FedgeError } from "../../shared/errors";
import {
  type CheckinAnswer,
  CheckinRequestSchema,
  type EvaluationAccepted,
  EvaluationReportSchema,
  type NetworkStatus,
  RegisterRequestSchema,
  type Registration,
} from "../../shared/protocol/api";
import type { TaskConfig } from "../../shared/protocol/task-config";
import { unwrap } from "../../shared/result";
import { limitRegistrations } from "../admission";
import type { AppEnv } from "../app-env";
import { type DeviceClaims, issueDeviceToken, requireDevice, TOKEN_RENEW_WITHIN_SECONDS } from "../auth";
import { readJson } from "../body";
import { requestRegion } from "../region";
import { tokenSecret } from "../secrets";
import { loadTask, maxUploadBytes, requirePrivacyBudget } from "../tasks";
import { parseBody } from "../validate";

export const devices = new Hono<AppEnv>();

devices.post("/:task/devices", limitRegistrations, async (c) => {
  const taskId = c.req.param("task");
  // Checked first: a registration that cannot be answered with a token must write nothing.
  const secret = tokenSecret(c.env);
  const body = parseBody(RegisterRequestSchema, await readJson(c, {}));
  const view = await loadTask(c.env, taskId);
  const config = view.task.config;
  const region = requestRegion(c);
  const shard = directoryShard(c, config.clusters.directoryShards);
  const registration = await directoryStub(c.env, taskId, region, shard).register(
    directoryTask(taskId, config, region, shard),
    deviceFeatures(c.req.raw.cf, body.network),
  );
  const { token, expiresAt } = await issueDeviceToken(secret, {
    sub: registration.deviceId,
    task: taskId,
    region,
    cluster: registration.cluster,
  });
  return c.json(
    {
      deviceId: registration.deviceId,
      token,
      tokenExpiresAt: new Date(expiresAt).toISOString(),
      region,
      cluster: registration.cluster,
      task: {
        id: taskId,
        parameters: config.model.parameters,
        layout: config.model.layout,
        layoutHash: view.model.layoutHash,
        codecs: [...SUPPORTED_CODECS],
        maxUploadBytes: maxUploadBytes(view),
        modelVersion: view.model.version,
      },
    } satisfies Registration,
    201,
  );
});

/** With privacy.secureAggregation: where the version's secure round is, and how to prepare the update. */
function secureRef(task: string, version: number, config: TaskConfig) {
  const sa = config.privacy.secureAggregation;
  if (sa.kind === "off") return {};
  return {
    secure: {
      url: `/v1/tasks/${task}/secure/${version}`,
      clipNorm: sa.clipNorm,
      phaseSeconds: sa.phaseSeconds,
    },
  };
}

devices.post("/:task/checkin", requireDevice, async (c) => {
  const device = c.get("device");
  const body = parseBody(CheckinRequestSchema, await readJson(c, {}));
  if (body.deviceId !== undefined && body.deviceId !== device.sub) {
    throw new FedgeError("forbidden", `device token belongs to ${device.sub}, not ${body.deviceId}`);
  }
  const view = await loadTask(c.env, device.task);
  requirePrivacyBudget(view);
  const config = view.task.config;
  const current = {
    version: view.model.version,
    round: view.round.round,
    deadlineAt: view.round.deadlineAt,
    deadlineSeconds: config.round.deadlineSeconds,
    minBatteryLevel: config.devices.minBatteryLevel,
    compression: assignedCompression(config.compression, view.model.version, view.compressionShift),
    compressionShift: view.compressionShift,
    selectionShare: view.round.selectionShare,
  };
  const report = { battery: body.battery, network: body.network, compression: body.compression };
  let claims = device;
  let handover: Handover | undefined;
  let decision: CheckinDecision;
  // A device that re-clustering moved is checked in at its new cluster, which its old one hands it to.
  for (let hops = 0; ; hops++) {
    decision = unwrap(
      await clusterStub(c.env, device.task, device.region, claims.cluster).checkin(
        clusterIdentity(device.task, config, device.region, claims.cluster, view.tree[device.region] ?? 0),
        device.sub,
        current,
        report,
        handover,
      ),
    );
    if (decision.action !== "moved") break;
    if (hops >= 2)
      throw new FedgeError("unavailable", "the device's cluster is being re-clustered; check in again", 5);
    claims = { ...claims, cluster: decision.cluster };
    handover = decision.handover;
  }
  // A device assigned a version trains from that version, even if the next is out by then.
  const model =
    decision.action === "train"
      ? { version: decision.version, manifestUrl: `/v1/tasks/${device.task}/model/${decision.version}` }
      : { version: view.model.version, manifestUrl: `/v1/tasks/${device.task}/model` };
  const renewal = await renewedToken(tokenSecret(c.env), claims, claims !== device);
  if (decision.action === "wait") {
    c.header("Retry-After", String(decision.retryAfterSeconds));
    return c.json({
      action: "wait",
      reason: decision.reason,
      retryAfterSeconds: decision.retryAfterSeconds,
      ...(decision.position === undefined ? {} : { position: decision.position }),
      round: decision.round,
      model,
      ...renewal,
    } satisfies CheckinAnswer);
  }
  return c.json({
    action: "train",
    round: decision.round,
    deadline: new Date(decision.deadlineAt).toISOString(),
    model,
    upload: {
      url: `/v1/tasks/${device.task}/updates`,
      baseVersion: decision.version,
      layoutHash: view.task.layoutHash,
      compression: decision.compression,
      /** Uploads this device may have in flight now (window-based flow control). */
      credits: decision.credits,
      ...secureRef(device.task, decision.version, config),
    },
    policy: { minBatteryLevel: view.task.config.devices.minBatteryLevel, workScale: decision.workScale },
    ...renewal,
  } satisfies CheckinAnswer);
});

devices.post("/:task/evaluations", requireDevice, async (c) => {
  const device = c.get("device");
  const report = parseBody(EvaluationReportSchema, await readJson(c));
  const view = await loadTask(c.env, device.task);
  if (report.version > view.model.version) {
    throw new FedgeError("version_not_found", `task "${device.task}" has no version ${report.version} yet`);
  }
  // One device speaks for at most as many examples as one update may weigh.
  const examples = Math.min(
    report.examples,
    Math.max(1, Math.floor(view.task.config.limits.maxSampleWeight)),
  );
  unwrap(
    await directoryStub(
      c.env,
      device.task,
      device.region,
      shardOf(device.cluster, view.task.config.clusters.directoryShards),
    ).recordEvaluation(device.sub, {
      ...report,
      examples,
    }),
  );
  return c.json({ accepted: true, examples } satisfies EvaluationAccepted, 202);
});

/**
 * Devices that keep checking in never have to register again (and so never leave a ghost
 * member behind); a device moved to another cluster gets a token naming it at once.
 */
async function renewedToken(
  secret: string,
  device: DeviceClaims,
  moved = false,
): Promise<{ token: string; tokenExpiresAt: string } | Record<string, never>> {
  if (!moved && device.exp * 1000 - Date.now() >= TOKEN_RENEW_WITHIN_SECONDS * 1000) return {};
  const { token, expiresAt } = await issueDeviceToken(secret, {
    sub: device.sub,
    task: device.task,
    region: device.region,
    cluster: device.cluster,
  });
  return { token, tokenExpiresAt: new Date(expiresAt).toISOString() };
}

/**
 * What places a device among its neighbours on the network: Cloudflare's measurement of the
 * connection first (the RTT to its colo and where it is), which a device cannot choose —
 * else a Sybil group could pick its cluster — then the device's own probe for what is missing.
 */
function deviceFeatures(cf: unknown, network: NetworkStatus | undefined): DeviceFeatures {
  const props = cf as Partial<Record<"clientTcpRtt" | "latitude" | "longitude", unknown>> | undefined;
  const number = (v: unknown): number | undefined => {
    const n = typeof v === "string" ? Number(v) : v;
    return typeof n === "number" && Number.isFinite(n) ? n : undefined;
  };
  const rtt = number(props?.clientTcpRtt);
  return {
    rttMs: rtt !== undefined && rtt > 0 ? rtt : network?.rttMs,
    latitude: number(props?.latitude),
    longitude: number(props?.longitude),
    uplinkBytesPerSecond: network?.uplinkBytesPerSecond,
  };
}

/**
 * The directory shard a registration goes to: one per Cloudflare location (`request.cf.colo`),
 * so devices that share a location — neighbours on the network — share a shard's clusters;
 * without a colo, by client address. FNV-1a, modulo the shards.
 */
function directoryShard(c: Context<AppEnv>, shards: number): number {
  if (shards <= 1) return 0;
  const colo = (c.req.raw.cf as { colo?: unknown } | undefined)?.colo;
  const key = typeof colo === "string" && colo ? colo : (c.req.header("CF-Connecting-IP") ?? "");
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash % shards;
}
