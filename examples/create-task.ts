/**
 * Creates (or updates) the examples' task on a running fedge, with its ONNX graph:
 *
 *   npm run example:task                          # http://127.0.0.1:8787, dev-admin-token
 *   npm run example:task -- --url URL --token T   # another server
 *
 * PUT /v1/admin/tasks/spam-filter with the model and aggregation below, then
 * PUT /v1/admin/tasks/spam-filter/graph with the model as ONNX (sdk/spam/onnx.ts).
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { modelSpec } from "../sdk/spam/model";
import { spamOnnxGraph } from "../sdk/spam/onnx";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import { MODEL, TASK } from "./shared/spam-filter";

/**
 * FedBuff with a buffer of one: every update publishes a version at once, so a single
 * example device sees the model move. A device that has trained on the current version is
 * told to come back when its round's deadline passes: 2 s here, so that it trains again
 * soon. A real fleet buffers more and waits longer (docs/protocol.md, task config).
 */
export const TASK_CONFIG: TaskConfigInput = {
  model: modelSpec(MODEL),
  aggregation: { mode: "async", bufferSize: 1, flushSeconds: 0.1 },
  round: { targetUpdates: 1, deadlineSeconds: 2, minUpdates: 1 },
};

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export async function createTask(baseUrl: string, adminToken: string, fetch: Fetch = globalThis.fetch) {
  const auth = { Authorization: `Bearer ${adminToken}` };
  const task = await fetch(new URL(`/v1/admin/tasks/${TASK}`, baseUrl).href, {
    method: "PUT",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify(TASK_CONFIG),
  });
  if (!task.ok) throw new Error(`creating task ${TASK}: ${task.status} ${await task.text()}`);
  await task.arrayBuffer();
  const graph = await fetch(new URL(`/v1/admin/tasks/${TASK}/graph`, baseUrl).href, {
    method: "PUT",
    headers: { ...auth, "Content-Type": "application/octet-stream" },
    body: spamOnnxGraph(MODEL) as Uint8Array<ArrayBuffer>,
  });
  if (!graph.ok) throw new Error(`setting the graph of ${TASK}: ${graph.status} ${await graph.text()}`);
  await graph.arrayBuffer();
}

if (resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8787" },
      token: { type: "string", default: "dev-admin-token" },
    },
  });
  try {
    await createTask(values.url, values.token);
    console.log(`task "${TASK}" ready on ${values.url}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
