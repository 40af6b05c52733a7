/**
 * `npm run simulate`: a federated spam filter trained on the SpamAssassin corpus by a
 * fleet of virtual devices, through the real SDK, against fedge running in workerd.
 * See README.md ("Simulation") for what it shows; `--help` for the options.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { MemoryStore } from "../sdk/adapters/memory-store";
import { FedgeClient } from "../sdk/core/client";
import type { Clock } from "../sdk/core/clock";
import { denseF32Encoder } from "../sdk/core/encoder";
import type { FedgeEvent } from "../sdk/core/uploader";
import { centralizedBaseline } from "../sdk/spam/baseline";
import { splitTrainTest } from "../sdk/spam/dataset";
import { loadSpamAssassin } from "../sdk/spam/dataset.node.js";
import { featurize } from "../sdk/spam/features";
import { type ModelKind, modelSpec, type SpamModel } from "../sdk/spam/model";
import { spamOnnxGraph } from "../sdk/spam/onnx";
import { evaluateWithOnnx } from "../sdk/spam/onnx-evaluate";
import { partitionByLabel } from "../sdk/spam/partition";
import { seededRandom } from "../sdk/spam/random";
import { DEFAULT_TRAIN_OPTIONS, spamTrainer } from "../sdk/spam/trainer";
import { startLocalService } from "./local-service";
import { createDevices, deviceFetch, drain, type FleetOptions, type Traffic, tick } from "./simulate/fleet";
import { type PlotPoint, plotSvg } from "./simulate/plot";
import { progress } from "./simulate/progress";

const HELP = `usage: npm run simulate [-- options]

Trains a spam filter on SpamAssassin with virtual devices driving fedge (in workerd) through
the SDK, and compares it with centralized training on the same split.

  --devices N          virtual devices (default 100)
  --versions N         stop once the model reaches this version (default 30)
  --model KIND         logistic | mlp (default logistic)
  --buckets N          hashed-token buckets (default 65536)
  --buffer K           FedBuff buffer: updates per model version (default 20)
  --max-staleness N    refuse updates more than N versions old (default 20)
  --offline P          per-tick probability that an online device drops off (default 0.15;
                       with a 0.35 chance of coming back, ~30% are offline at any moment)
  --seed N             seeds the shards, the fleet and training (default 1)
  --plot FILE          where to write the SVG chart (default simulation.svg)
  --json               print one JSON object as the last line`;

const { values: opts } = parseArgs({
  options: {
    devices: { type: "string", default: "100" },
    versions: { type: "string", default: "30" },
    model: { type: "string", default: "logistic" },
    buckets: { type: "string", default: String(1 << 16) },
    buffer: { type: "string", default: "20" },
    "max-staleness": { type: "string", default: "20" },
    offline: { type: "string", default: "0.15" },
    seed: { type: "string", default: "1" },
    plot: { type: "string", default: "simulation.svg" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  },
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
function intOption(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`simulate: --${name} must be an integer ≥ ${min}, got "${value}"\n\n${HELP}`);
    process.exit(2);
  }
  return n;
}
const N = intOption("devices", opts.devices, 1);
const TARGET_VERSIONS = intOption("versions", opts.versions, 1);
const BUFFER = intOption("buffer", opts.buffer, 1);
const MAX_STALENESS = intOption("max-staleness", opts["max-staleness"], 0);
const SEED = intOption("seed", opts.seed, 0);
const BUCKETS = intOption("buckets", opts.buckets, 2);
const P_OFFLINE = Number(opts.offline);
if (!(P_OFFLINE >= 0 && P_OFFLINE < 1)) {
  console.error(`simulate: --offline must be in [0, 1)\n\n${HELP}`);
  process.exit(2);
}
if (opts.model !== "logistic" && opts.model !== "mlp") {
  console.error(`simulate: --model must be logistic or mlp\n\n${HELP}`);
  process.exit(2);
}
const model: SpamModel = { kind: opts.model as ModelKind, buckets: BUCKETS };
const say = (line: string) => (opts.json ? process.stderr.write(`${line}\n`) : console.log(line));
const started = performance.now();

// Data: the fixed 80/20 split, label-skewed shards, a fifth of each shard held out for federated evaluation.
const messages = loadSpamAssassin();
const split = splitTrainTest(messages);
const train = split.train.map((m) => featurize(m, BUCKETS));
const test = split.test.map((m) => featurize(m, BUCKETS));
const shards = partitionByLabel(train, { clients: N, seed: SEED, alpha: 0.5 });
const training = DEFAULT_TRAIN_OPTIONS[model.kind];

const baseline = centralizedBaseline(messages, { model, seed: SEED });
const centralizedAccuracy = baseline.epochs.at(-1)?.accuracy ?? 0;
say(
  `centralized ${model.kind} on the same split, trained the same way: ${(100 * centralizedAccuracy).toFixed(2)}%`,
);

const service = await startLocalService();
const admin = { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" };
const created = await service.fetch("/v1/admin/tasks/spam", {
  method: "PUT",
  headers: admin,
  body: JSON.stringify({
    model: modelSpec(model, SEED),
    optimizer: { kind: "fedavg", serverLearningRate: 1 },
    aggregation: { mode: "async", bufferSize: BUFFER, flushSeconds: 0.3 },
    staleness: { weight: { kind: "inverse-sqrt" }, maxStaleness: MAX_STALENESS },
    clusters: { targetSize: 10 },
    round: { deadlineSeconds: 5 },
  }),
});
if (created.status !== 201)
  throw new Error(`creating the task failed: ${created.status} ${await created.text()}`);

const random = seededRandom(SEED);
const fleetOptions: FleetOptions = { pOffline: P_OFFLINE, pOnline: 0.35, timeScale: 0.05 };
const devices = createDevices(N, random);
const traffic: Traffic = { uploadedBytes: 0, acceptedUploads: 0 };
// The SDK's waits (backoff, Retry-After) pass instantly: simulated time, not wall time.
const instant: Clock = { now: () => Date.now(), sleep: async () => {} };
const graph = spamOnnxGraph(model);

let serverVersion = 0;
const staleness: number[] = [];
const rejected: Record<string, number> = {};
const offline = { made: new Set<string>(), applied: 0, rejectedStale: 0 };
const onEvent = (e: FedgeEvent) => {
  if (e.type === "uploaded") {
    staleness.push(Math.max(0, serverVersion - e.baseVersion));
    if (offline.made.has(e.updateId)) offline.applied += 1;
  } else if (e.type === "rejected") {
    rejected[e.code] = (rejected[e.code] ?? 0) + 1;
    if (offline.made.has(e.updateId) && e.code === "stale_update") offline.rejectedStale += 1;
  }
};

const fleet = devices.map((d, i) => {
  const shard = shards[i] ?? [];
  const cut = Math.max(1, Math.floor(shard.length * 0.8));
  const holdout = shard.slice(cut);
  return {
    state: d,
    holdout,
    trainer: spamTrainer({ model, train: shard.slice(0, cut), seed: SEED * 1000 + i }),
    client: new FedgeClient({
      baseUrl: "http://fedge.local",
      task: "spam",
      store: new MemoryStore(),
      fetch: deviceFetch(d, service, traffic, fleetOptions),
      clock: instant,
      random: seededRandom(SEED * 7919 + i),
      battery: async () => ({ ...d.battery }),
      network: async () => ({ type: d.uplink > 500_000 ? "wifi" : "cellular" }),
      encoder: denseF32Encoder,
      training,
      onEvent,
    }),
  };
});

const tester = spamTrainer({ model, train: test });
async function testAccuracy(version: number): Promise<number> {
  const res = await service.fetch(`/v1/tasks/spam/model/${version}/weights`, { headers: admin });
  if (res.status !== 200) throw new Error(`weights v${version}: ${res.status}`);
  return tester.evaluate(new Float32Array(await res.arrayBuffer())).accuracy;
}

const points: PlotPoint[] = [{ version: 0, accuracy: await testAccuracy(0), megabytes: 0 }];
say(
  `\n${"version".padEnd(9)}${"test acc".padEnd(10)}${"uploaded".padEnd(12)}${"staleness".padEnd(11)}rejected`,
);
let ticks = 0;
while (serverVersion < TARGET_VERSIONS && ticks < TARGET_VERSIONS * 20) {
  ticks += 1;
  tick(devices, fleetOptions, random);
  await Promise.all(
    fleet.map(async ({ state, client, trainer, holdout }) => {
      if (!state.online) return;
      await client.flush();
      const round = await client.runOnce(trainer);
      if (round.action !== "trained") return;
      drain(state, round.workScale);
      if (!round.flush.uploaded.includes(round.updateId)) offline.made.add(round.updateId);
      // Some devices also score the global model on their holdout with onnxruntime-web.
      if (state.online && holdout.length > 0 && random() < 0.1) {
        await client.evaluate({ evaluate: (w) => evaluateWithOnnx(graph, w, holdout) });
      }
    }),
  );
  const status = (await (await service.fetch("/v1/admin/tasks/spam", { headers: admin })).json()) as {
    model: { version: number };
  };
  for (let v = serverVersion + 1; v <= status.model.version; v++) {
    const accuracy = await testAccuracy(v);
    points.push({ version: v, accuracy, megabytes: traffic.uploadedBytes / 1e6 });
    const meanStaleness = staleness.length ? staleness.reduce((a, b) => a + b, 0) / staleness.length : 0;
    const reasons =
      Object.entries(rejected)
        .map(([k, n]) => `${k}:${n}`)
        .join(" ") || "-";
    say(
      `${String(v).padEnd(9)}${`${(100 * accuracy).toFixed(2)}%`.padEnd(10)}${`${(traffic.uploadedBytes / 1e6).toFixed(2)} MB`.padEnd(12)}${meanStaleness.toFixed(2).padEnd(11)}${reasons}`,
    );
  }
  serverVersion = status.model.version;
  progress(Math.min(serverVersion, TARGET_VERSIONS), TARGET_VERSIONS, `versions (tick ${ticks})`);
}

// Everyone comes back online and sends what they still hold.
for (const d of devices) {
  d.online = true;
  d.dropsBeforeUpload = false;
}
for (let attempt = 0; attempt < 5; attempt++) {
  const pending = await Promise.all(fleet.map(async ({ client }) => (await client.flush()).pending));
  if (pending.every((p) => p === 0)) break;
}
const stats = await Promise.all(fleet.map(({ client }) => client.stats()));
const stillPending = stats.reduce((s, x) => s + x.pending, 0);
const status = (await (await service.fetch("/v1/admin/tasks/spam", { headers: admin })).json()) as {
  model: { version: number; parameters: number };
  evaluations: { version: number; reports: number; accuracy: number }[];
};
await service.dispose();

const finalAccuracy = points.at(-1)?.accuracy ?? 0;
const denseBytesEquivalent = traffic.acceptedUploads * (48 + 4 * status.model.parameters);
const result = {
  centralizedAccuracy,
  finalAccuracy,
  versions: status.model.version,
  bytesUploaded: traffic.uploadedBytes,
  denseBytesEquivalent,
  offlineUpdates: {
    made: offline.made.size,
    applied: offline.applied,
    rejectedStale: offline.rejectedStale,
    lost: offline.made.size - offline.applied - offline.rejectedStale,
  },
  updatesAccepted: traffic.acceptedUploads,
  updatesStillPending: stillPending,
  rejected,
  federatedEvaluation: status.evaluations.at(-1) ?? null,
  devices: N,
  ticks,
  seconds: Math.round((performance.now() - started) / 1000),
};
writeFileSync(
  opts.plot,
  plotSvg(
    points,
    `fedge: federated ${model.kind} on SpamAssassin, ${N} devices (centralized ${(100 * centralizedAccuracy).toFixed(1)}%)`,
  ),
);
say(`
final test accuracy ${(100 * finalAccuracy).toFixed(2)}% = ${((100 * finalAccuracy) / centralizedAccuracy).toFixed(1)}% of centralized
uploaded ${(traffic.uploadedBytes / 1e6).toFixed(2)} MB (${traffic.acceptedUploads} updates; dense f32 would be ${(denseBytesEquivalent / 1e6).toFixed(2)} MB)
offline updates: ${result.offlineUpdates.made} made, ${result.offlineUpdates.applied} applied, ${result.offlineUpdates.rejectedStale} rejected as stale, ${result.offlineUpdates.lost} lost
plot: ${opts.plot}`);
if (opts.json) console.log(JSON.stringify(result));
