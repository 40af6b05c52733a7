/**
 * A task's model versions in R2: `models/<task>/v<N>.bin` (the f32 weights) and
 * `models/<task>/v<N>.json` (the manifest), immutable per version, so a retried
 * publication rewrites identical bytes and R2's one-write-per-second-per-key limit never
 * binds. The "latest" pointer lives in the coordinator's storage, not here.
 */
import { toHex } from "../../shared/protocol/frame";
import { type ModelManifest, manifestKey, weightsKey } from "../task-types";

export async function putModel(
  bucket: R2Bucket,
  task: string,
  layoutHash: string,
  version: number,
  weights: Float32Array,
  origin: Pick<ModelManifest, "fromRound" | "updates" | "rollbackOf">,
  now: number,
): Promise<ModelManifest> {
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const sha256 = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  const manifest: ModelManifest = {
    task,
    version,
    parameters: weights.length,
    layoutHash,
    byteLength: bytes.byteLength,
    sha256,
    key: weightsKey(task, version),
    createdAt: new Date(now).toISOString(),
    ...origin,
  };
  await bucket.put(manifest.key, bytes, {
    sha256,
    httpMetadata: { contentType: "application/octet-stream" },
    customMetadata: { version: String(version) },
  });
  await bucket.put(manifestKey(task, version), JSON.stringify(manifest), {
    httpMetadata: { contentType: "application/json" },
  });
  return manifest;
}

export async function readWeights(
  bucket: R2Bucket,
  model: Pick<ModelManifest, "task" | "version" | "key" | "byteLength">,
): Promise<Float32Array> {
  const object = await bucket.get(model.key);
  if (!object)
    throw new Error(`weights for ${model.task} v${model.version} are missing from R2 (${model.key})`);
  const buffer = await object.arrayBuffer();
  if (buffer.byteLength !== model.byteLength) {
    throw new Error(`${model.key} has ${buffer.byteLength} bytes, expected ${model.byteLength}`);
  }
  return new Float32Array(buffer);
}
