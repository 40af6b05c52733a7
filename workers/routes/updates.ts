/** POST /v1/tasks/:task/updates — a binary update frame in, a 202 receipt out. */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { uploadPoint } from "../../durable-objects/analytics";
import { clusterIdentity } from "../../durable-objects/identities";
import { clusterStub } from "../../durable-objects/stubs";
import { inflatePayload } from "../../shared/codecs/deflate";
import { FedgeError } from "../../shared/errors";
import type { UpdateReceipt } from "../../shared/protocol/api";
import { parseFrame } from "../../shared/protocol/frame";
import { unwrap } from "../../shared/result";
import { admitUpload } from "../admission";
import type { AppEnv } from "../app-env";
import { requireDevice } from "../auth";
import { requireOctetStream } from "../body";
import { loadTask, requirePrivacyBudget } from "../tasks";

export const updates = new Hono<AppEnv>();

/** One Analytics Engine point per upload answered, whatever the answer (durable-objects/analytics.ts). */
const pointPerUpload = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const device = c.get("device");
  uploadPoint(c.env, {
    task: device.task,
    region: device.region,
    status: c.res.status,
    code: `${Math.floor(c.res.status / 100)}xx`,
    ms: Date.now() - c.get("receivedAt"),
    bytes: c.get("uploadBytes") ?? Number(c.req.header("Content-Length") ?? 0),
  });
});

updates.post("/:task/updates", requireDevice, pointPerUpload, async (c) => {
  const device = c.get("device");
  requireOctetStream(c, "updates");
  const body = new Uint8Array(await c.req.arrayBuffer());
  c.set("uploadBytes", body.byteLength);
  const frame = parseFrame(body);
  const h = frame.header;
  let view = await loadTask(c.env, device.task);
  const params = view.task.config.model.parameters;
  if (h.dim !== params)
    throw new FedgeError("dimension_mismatch", `frame dim ${h.dim} ≠ task parameters ${params}`);
  if (h.layoutHash !== view.task.layoutHash) {
    throw new FedgeError(
      "layout_mismatch",
      `frame layout hash ${h.layoutHash} ≠ task's ${view.task.layoutHash}; download the current model`,
    );
  }
  requirePrivacyBudget(view);
  if (view.task.config.privacy.secureAggregation.kind !== "off") {
    throw new FedgeError(
      "secure_round_required",
      `task "${device.task}" aggregates securely: send the update through /v1/tasks/${device.task}/secure/${h.baseVersion} (the check-in's upload.secure)`,
    );
  }
  const maxWeight = view.task.config.limits.maxSampleWeight;
  if (h.sampleWeight > maxWeight) {
    throw new FedgeError(
      "sample_weight_too_large",
      `sample weight ${h.sampleWeight} is above the task's limits.maxSampleWeight, ${maxWeight}`,
    );
  }
  // The cached view may be a second old; look again before calling a base version from the future.
  if (h.baseVersion > view.model.version) view = await loadTask(c.env, device.task, { fresh: true });
  if (h.baseVersion > view.model.version) {
    throw new FedgeError(
      "unknown_base_version",
      `base version ${h.baseVersion} > current version ${view.model.version}`,
    );
  }
  // Inflate (bounded). The cluster validates the payload whole (bad_frame, non_finite_value)
  // in the same kernel pass that measures its norm, before anything is stored.
  const { payload } = await inflatePayload(frame);
  // Counted only once the frame has passed every check the edge can make on its own.
  await admitUpload(c);
  const update = {
    device: device.sub,
    updateId: h.updateId,
    codec: h.codec,
    payload,
    sampleWeight: h.sampleWeight,
    baseVersion: h.baseVersion,
  };
  const submit = (index: number) =>
    clusterStub(c.env, device.task, device.region, index).submit(
      clusterIdentity(device.task, view.task.config, device.region, index, view.tree[device.region] ?? 0),
      update,
      view.model.version,
      c.get("receivedAt"),
    );
  let receipt = unwrap(await submit(device.cluster));
  // The device was moved to another cluster and took this update's assignment along (docs/architecture.md#clustering).
  if ("redirect" in receipt) receipt = unwrap(await submit(receipt.redirect));
  if ("redirect" in receipt)
    throw new FedgeError("unavailable", "the device's cluster is being re-clustered; retry", 5);
  return c.json(receipt satisfies UpdateReceipt, 202);
});
