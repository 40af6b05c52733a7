/** POST /v1/tasks/:task/updates — a binary update frame in, a 202 receipt out. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { clusterIdentity } from "../../durable-objects/identities";
import { clusterStub } from "../../durable-objects/stubs";
import { decodePayload } from "../../shared/codecs/decoder";
import { inflatePayload } from "../../shared/codecs/deflate";
import { maxPayloadBytes } from "../../shared/codecs/layout";
import { FedgeError } from "../../shared/errors";
import { FRAME_HEADER_BYTES, parseFrame } from "../../shared/protocol/frame";
import { unwrap } from "../../shared/result";
import type { AppEnv } from "../app-env";
import { requireDevice } from "../auth";
import { requireOctetStream } from "../body";
import { loadTask } from "../tasks";

export const updates = new Hono<AppEnv>();

/**
 * The largest frame the task can need: no payload of any codec may be larger than the
 * dense-f32 one (docs/codecs.md), deflated or not. Anything bigger is refused unread.
 */
const limitToTask = createMiddleware<AppEnv>(async (c, next) => {
  const view = await loadTask(c.env, c.get("device").task);
  const maxSize = FRAME_HEADER_BYTES + maxPayloadBytes(view.task.config.model.parameters);
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new FedgeError("payload_too_large", `an update for this task is at most ${maxSize} bytes`);
    },
  })(c, next);
});

updates.post("/:task/updates", requireDevice, limitToTask, async (c) => {
  const device = c.get("device");
  requireOctetStream(c, "updates");
  const frame = parseFrame(new Uint8Array(await c.req.arrayBuffer()));
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
  // Inflate (bounded), then decode once to reject a bad payload or NaN/±∞ before anything is stored.
  const { payload } = await inflatePayload(frame);
  decodePayload(h.codec, payload, h.dim);
  const cluster = clusterStub(c.env, device.task, device.region, device.cluster);
  const receipt = await cluster.submit(
    clusterIdentity(device.task, view.task.config, device.region, device.cluster),
    {
      device: device.sub,
      updateId: h.updateId,
      codec: h.codec,
      payload,
      sampleWeight: h.sampleWeight,
      baseVersion: h.baseVersion,
    },
    view.model.version,
  );
  return c.json(unwrap(receipt), 202);
});
