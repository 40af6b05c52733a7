/**
 * A fedge device in a web page, on its own origin: registers, trains a few versions of the
 * spam filter on its own mail and uploads each update; keeps what it could not send in
 * IndexedDB across reloads and sends it on the next visit; then evaluates the newest global
 * model twice, with the TypeScript model and as ONNX with onnxruntime-web (WebAssembly).
 * Built by `npm run build:example:browser`; examples/browser/README.md says how to run it.
 */
import * as ort from "onnxruntime-web";
import {
  browserBattery,
  browserNetwork,
  FedgeClient,
  IndexedDbStore,
  type RoundResult,
} from "../../sdk/index";
import type { Evaluation } from "../../sdk/spam/metrics";
import { evaluateWithOnnx } from "../../sdk/spam/onnx-evaluate";
import { holdout, localTrainer, TASK, TRAINING } from "../shared/spam-filter";

/** What the page shows when every step has worked (examples/browser/README.md). */
const SUCCESS = "fedge example: done";

const params = new URLSearchParams(location.search);
const server = params.get("server") ?? "http://127.0.0.1:8787";
const versions = Number(params.get("versions") ?? "3");

const status = document.querySelector<HTMLElement>("#status")!;
const logLine = (line: string) => {
  document.querySelector("#log")!.textContent += `${line}\n`;
};

// The bundle aliases onnxruntime-web to onnxruntime-web/wasm (the WebAssembly backend only,
// its JavaScript glue bundled in); its .wasm is copied next to this page. Only the .wasm's
// URL is given: a string prefix would make the runtime fetch its glue (.mjs) from there too.
ort.env.wasm.wasmPaths = { wasm: new URL("./ort-wasm-simd-threaded.wasm", location.href).href };
// Threads need a cross-origin-isolated page (COOP/COEP headers); this one is not.
ort.env.wasm.numThreads = 1;

const trainer = localTrainer();
const client = new FedgeClient({
  baseUrl: server,
  task: TASK,
  store: new IndexedDbStore(),
  battery: browserBattery,
  network: browserNetwork,
  training: TRAINING,
  // A few quick retries, then the update waits in IndexedDB for the next flush.
  backoff: { baseMs: 250, capMs: 1000, maxAttempts: 3 },
  onEvent: (e) => {
    if (e.type === "rejected") logLine(`update ${e.updateId} refused: ${e.code}`);
  },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Send what waited offline as soon as the link is back.
addEventListener("online", () => {
  client.flush().catch((e: unknown) => logLine(`flush failed: ${e}`));
});

async function run(): Promise<void> {
  const registration = await client.register(); // stored: a reload reuses it
  logLine(`device ${registration.deviceId} in ${registration.region}, cluster ${registration.cluster}`);
  const queued = await client.flush(); // what an earlier visit could not send
  logLine(`sent ${queued.uploaded.length} update(s) queued by an earlier visit`);

  for (let trained = 0; trained < versions; ) {
    const round: RoundResult = await client.runOnce(trainer);
    if (round.action === "trained") {
      trained++;
      logLine(`trained on v${round.version}: loss ${round.loss.toFixed(4)}, ${round.flush.pending} pending`);
    } else {
      logLine(`wait ${round.retryAfterMs} ms (${round.reason ?? "next version"})`);
      await sleep(round.retryAfterMs); // the server's Retry-After, or the client's own backoff
    }
  }

  // The global model on held-out mail, scored by the TypeScript model (reported to the server)
  // and by the task's ONNX graph (checked against its SHA-256) in onnxruntime-web.
  const graph = await client.graph();
  let onnx: Evaluation | undefined;
  const evaluated = await client.evaluate({
    evaluate: async (weights) => {
      if (graph !== undefined) onnx = await evaluateWithOnnx(graph, weights, holdout);
      return trainer.evaluate(weights);
    },
  });
  if (onnx === undefined) throw new Error(`task ${TASK} has no ONNX graph: run npm run example:task`);
  if (onnx.accuracy !== evaluated.accuracy)
    throw new Error(`ONNX accuracy ${onnx.accuracy} differs from the model's ${evaluated.accuracy}`);
  logLine(`v${evaluated.version} on held-out mail: accuracy ${evaluated.accuracy}, the same as ONNX`);
  const stats = await client.stats();
  status.textContent = `${SUCCESS}: ${stats.uploaded} uploaded, ${stats.pending} pending`;
  status.dataset.state = "done";
  status.dataset.pending = String(stats.pending);
  status.dataset.sentQueued = String(queued.uploaded.length);
}

run().catch((error: unknown) => {
  status.textContent = `failed: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`;
  status.dataset.state = "failed";
});
