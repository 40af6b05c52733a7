/**
 * The secure-aggregation rounds of a device's cluster (privacy.secureAggregation;
 * docs/protocol.md#secure-aggregation): the cluster object relays keys, encrypted shares,
 * masked inputs and revealed shares, and learns only the sum. Every call answers with
 * the round as the device needs to see it next.
 */
import { type Context, Hono } from "hono";
import { clusterIdentity } from "../../durable-objects/identities";
import { clusterStub } from "../../durable-objects/stubs";
import { FedgeError } from "../../shared/errors";
import {
  SecureKeysSchema,
  type SecureRoundViewBody,
  SecureSharesSchema,
  SecureUnmaskSchema,
} from "../../shared/protocol/api";
import { type Result, unwrap } from "../../shared/result";
import type { AppEnv } from "../app-env";
import { requireDevice } from "../auth";
import { readJson, requireOctetStream } from "../body";
import { loadTask, requirePrivacyBudget } from "../tasks";
import { parseBody } from "../validate";

export const secure = new Hono<AppEnv>();

/** The device's cluster, configured as the task is now, and the round's version. */
async function round(c: Context<AppEnv>) {
  const device = c.get("device");
  const view = await loadTask(c.env, device.task);
  if (view.task.config.privacy.secureAggregation.kind === "off") {
    throw new FedgeError(
      "bad_request",
      `task "${device.task}" does not aggregate securely; upload to /v1/tasks/${device.task}/updates`,
    );
  }
  requirePrivacyBudget(view);
  const version = Number(c.req.param("version"));
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new FedgeError(
      "bad_request",
      `version ${JSON.stringify(c.req.param("version"))} must be an integer ≥ 0`,
    );
  }
  return {
    device: device.sub,
    version,
    dim: view.task.config.model.parameters,
    setup: clusterIdentity(
      device.task,
      view.task.config,
      device.region,
      device.cluster,
      view.tree[device.region] ?? 0,
    ),
    cluster: clusterStub(c.env, device.task, device.region, device.cluster),
  };
}

/** The round as the device should see it next: 200 for a read, 202 for what it sent. */
function reply(c: Context<AppEnv>, view: Result<SecureRoundViewBody>, status: 200 | 202) {
  return c.json(unwrap(view) satisfies SecureRoundViewBody, status);
}

secure.get("/:task/secure/:version", requireDevice, async (c) => {
  const r = await round(c);
  return reply(c, await r.cluster.secureView(r.setup, r.device, r.version), 200);
});

secure.post("/:task/secure/:version/keys", requireDevice, async (c) => {
  const r = await round(c);
  const keys = parseBody(SecureKeysSchema, await readJson(c));
  return reply(c, await r.cluster.secureJoin(r.setup, r.device, r.version, keys), 202);
});

secure.post("/:task/secure/:version/shares", requireDevice, async (c) => {
  const r = await round(c);
  const { shares } = parseBody(SecureSharesSchema, await readJson(c));
  return reply(c, await r.cluster.secureShares(r.setup, r.device, r.version, shares), 202);
});

secure.post("/:task/secure/:version/masked", requireDevice, async (c) => {
  requireOctetStream(c, "masked inputs");
  const r = await round(c);
  const words = new Uint8Array(await c.req.arrayBuffer());
  // Refused here whatever the round's phase, as the edge refuses a frame of the wrong dimension.
  if (words.byteLength !== 4 * r.dim) {
    throw new FedgeError(
      "bad_request",
      `a masked input is ${4 * r.dim} bytes (4 per parameter), got ${words.byteLength}`,
    );
  }
  return reply(c, await r.cluster.secureMasked(r.setup, r.device, r.version, words), 202);
});

secure.post("/:task/secure/:version/unmask", requireDevice, async (c) => {
  const r = await round(c);
  const { shares } = parseBody(SecureUnmaskSchema, await readJson(c));
  return reply(c, await r.cluster.secureUnmask(r.setup, r.device, r.version, shares), 202);
});
