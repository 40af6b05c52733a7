/**
 * A fedge device in Node: registers, trains a few versions of the spam filter on its own
 * mail, uploads each update, then evaluates the newest global model and exits. State
 * (registration, queued updates, cached model) persists in a directory, so a second run
 * carries on as the same device. examples/node/README.md says how to run it.
 *
 *   npx tsx examples/node/main.ts [--url URL] [--versions N] [--store DIR]
 */
import { parseArgs } from "node:util";
import { FileStore } from "../../sdk/adapters/file-store.node.js";
import { FedgeClient, FedgeUnsupportedError } from "../../sdk/index.js";
import { localTrainer, TASK, TRAINING } from "../shared/spam-filter.js";

export const SUCCESS = "fedge example: done";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    versions: { type: "string", default: "3" },
    store: { type: "string", default: ".fedge-example" },
  },
});
const versions = Number(values.versions);

const trainer = localTrainer();
const client = new FedgeClient({
  baseUrl: values.url,
  task: TASK,
  store: new FileStore(values.store),
  training: TRAINING,
  onEvent: (e) => {
    if (e.type === "rejected") console.warn(`update ${e.updateId} refused: ${e.code}`);
  },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  const registration = await client.register(); // stored: a second run reuses it
  console.log(`device ${registration.deviceId} in ${registration.region}, cluster ${registration.cluster}`);
  const queued = await client.flush(); // whatever an earlier run could not send
  if (queued.uploaded.length > 0) console.log(`sent ${queued.uploaded.length} update(s) queued earlier`);

  for (let trained = 0; trained < versions; ) {
    const round = await client.runOnce(trainer);
    if (round.action === "trained") {
      trained++;
      console.log(
        `trained on v${round.version}: loss ${round.loss.toFixed(4)}, ${round.flush.pending} pending`,
      );
    } else {
      // The server's Retry-After (the next version is not out yet), or the client's own backoff.
      await sleep(round.retryAfterMs);
    }
  }

  const holdout = await client.evaluate(trainer); // the global model on local mail, reported
  console.log(
    `v${holdout.version} on held-out mail: accuracy ${holdout.accuracy}, loss ${holdout.loss.toFixed(4)}`,
  );
  const stats = await client.stats();
  console.log(`${SUCCESS}: ${stats.uploaded} uploaded, ${stats.pending} pending`);
} catch (error) {
  if (error instanceof FedgeUnsupportedError)
    console.error(`this platform cannot run the SDK: ${error.message}`);
  else console.error(error);
  process.exitCode = 1;
}
