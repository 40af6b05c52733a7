/**
 * Runs the ONNX form of a spam model (onnx.ts) with onnxruntime-web, on the weights blob
 * exactly as fedge serves it: what a device without the TypeScript model — or an app
 * classifying incoming mail — does with a downloaded version. In a browser bundle, alias
 * `onnxruntime-web` to `onnxruntime-web/wasm` (its 14 MB single-backend build, not the
 * default's 28 MB) and set `ort.env.wasm.wasmPaths`: examples/browser/README.md.
 */
import * as ort from "onnxruntime-web";
import type { Example } from "./features";
import { type Evaluation, evaluateLogits } from "./metrics";
import { WEIGHTS_FILE } from "./weights-file";

/**
 * Messages are run in order, in batches padded to their longest message and holding at
 * most this many ids (a message longer than that runs alone): with the MLP's 16 hidden
 * units the gathered rows of a batch then take at most 4 MiB.
 */
const MAX_BATCH_IDS = 1 << 16;

export interface OnnxPredictions {
  logit: Float32Array;
  probability: Float32Array;
}

export async function predictWithOnnx(
  graph: Uint8Array,
  weights: Float32Array,
  messages: readonly Pick<Example, "ids">[],
): Promise<OnnxPredictions> {
  // The blob is the weights' bytes as they lie in memory: little-endian on every platform fedge targets.
  const data = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const session = await ort.InferenceSession.create(graph, { externalData: [{ path: WEIGHTS_FILE, data }] });
  const logit = new Float32Array(messages.length);
  const probability = new Float32Array(messages.length);
  try {
    for (let start = 0; start < messages.length; ) {
      let end = start;
      let width = 1;
      while (end < messages.length) {
        const wider = Math.max(width, messages[end]!.ids.length);
        if (end > start && (end - start + 1) * wider > MAX_BATCH_IDS) break;
        width = wider;
        end++;
      }
      const ids = new BigInt64Array((end - start) * width);
      const mask = new Float32Array((end - start) * width);
      for (let m = start; m < end; m++) {
        const row = (m - start) * width;
        messages[m]!.ids.forEach((id, j) => {
          ids[row + j] = BigInt(id);
          mask[row + j] = 1;
        });
      }
      const shape = [end - start, width];
      const out = await session.run({
        ids: new ort.Tensor("int64", ids, shape),
        mask: new ort.Tensor("float32", mask, shape),
      });
      logit.set(out.logit!.data as Float32Array, start);
      probability.set(out.probability!.data as Float32Array, start);
      start = end;
    }
  } finally {
    await session.release();
  }
  return { logit, probability };
}

/** Loss and accuracy of the ONNX graph on labelled messages, as `Trainer.evaluate` reports them. */
export async function evaluateWithOnnx(
  graph: Uint8Array,
  weights: Float32Array,
  messages: readonly Example[],
): Promise<Evaluation> {
  const { logit } = await predictWithOnnx(graph, weights, messages);
  return evaluateLogits(logit, messages);
}
