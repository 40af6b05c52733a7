/**
 * One federated run: a fresh fedge in workerd, a task, and a fleet of SDK clients
 * training on their shards until the model reaches the target version.
 */
import { MemoryStore } from "../../sdk/adapters/memory-store";
import type { Registration } from "../../sdk/core/api-types";
import { FedgeClient } from "../../sdk/core/client";
import type { Clock } from "../../sdk/core/clock";
import type { UpdateEncoder } from "../../sdk/core/encoder";
import { FedgeApiError } from "../../sdk/core/errors";
import type { LocalTrainer } from "../../sdk/core/trainer";
import type { FedgeEvent } from "../../sdk/core/uploader";
import type { Example } from "../../sdk/spam/features";
import { modelSpec, type SpamModel } from "../../sdk/spam/model";
import { spamOnnxGraph } from "../../sdk/spam/onnx";
import { evaluateWithOnnx } from "../../sdk/spam/onnx-evaluate";
import { seededRandom } from "../../sdk/spam/random";
import { DEFAULT_TRAIN_OPTIONS, spamTrainer, type Trainer } from "../../sdk/spam/trainer";
import type { TaskConfigInput } from "../../shared/protocol/task-config";
import { type LocalService, startLocalService } from "../local-service";
import { createDevices, deviceFetch, drain, type FleetOptions, type Traffic, tick } from "./fleet";
import type { PlotPoint } from "./plot";
import { progress } from "./progress";

/** What every simulation run trains with: the model, the shards and test set, and the task's FedBuff settings. */
export interface TrainingSetup {
  model: SpamModel;
  shards: Example[][];
  test: Example[];
  seed: number;
  targetVersions: number;
  bufferSize: number;
  maxStaleness: number;
}

export interface RunOptions extends TrainingSetup {
  label: string;
  pOffline: number;
  compression: { density: number; bits: 32 | 16 | 8 | 4 };
  encoder: () => UpdateEncoder;
  say: (line: string) => void;
  /** Changes to the simulation's task config (e.g. `trust`, `aggregation.robust`). */
  taskConfig?: (config: TaskConfigInput) => TaskConfigInput;
  /** What device i trains with; default `honest`, the spam trainer on its shard. */
  trainer?: (device: number, honest: Trainer) => LocalTrainer;
  /** Devices whose battery the fleet does not model (an attacker reports whatever lets it train). */
  ignoresBattery?: (device: number) => boolean;
  /** Runs after training, before the service is disposed: e.g. to read the admin views. */
  inspect?: (service: LocalService, registrations: readonly Registration[]) => Promise<void>;
  /** Where the service's deploy build goes (default local-service.ts's). */
  outdir?: string;
}

export interface RunResult {
  label: string;
  finalAccuracy: number;
  versions: number;
  bytesUploaded: number;
  denseBytesEquivalent: number;
  updatesAccepted: number;
  offlineUpdates: { made: number; applied: number; rejectedStale: number; lost: number };
  updatesStillPending: number;
  meanStaleness: number;
  rejected: Record<string, number>;
  federatedEvaluation: { version: number; reports: number; accuracy: number } | null;
  points: PlotPoint[];
  ticks: number;
  /** With privacy.dp: ε spent once each version was out. */
  epsilons: { version: number; epsilon: number }[];
  /** With privacy.dp and a budget: the service refused further training. */
  budgetSpent: boolean;
}

/** A device's shard: what it trains on, and the fifth it keeps back for federated evaluation (at least one example trains). */
export function splitShard<T>(shard: readonly T[]): { train: T[]; holdout: T[] } {
  const cut = Math.max(1, Math.floor(shard.length * 0.8));
  return { train: shard.slice(0, cut), holdout: shard.slice(cut) };
}

export async function runFederated(o: RunOptions): Promise<RunResult> {
  const service = await startLocalService(o.outdir === undefined ? {} : { outdir: o.outdir });
  try {
    return await run(o, service);
  } finally {
    await service.dispose();
  }
}

/** The simulations' task: FedBuff with buffer K, inverse-√ staleness weights, clusters of 10, the run's compression. */
export function simulationTask(o: {
  model: SpamModel;
  seed: number;
  bufferSize: number;
  maxStaleness: number;
  compression: TaskConfigInput["compression"];
}): TaskConfigInput {
  return {
    model: modelSpec(o.model, o.seed),
    optimizer: { kind: "fedavg", serverLearningRate: 1 },
    aggregation: { mode: "async", bufferSize: o.bufferSize, flushSeconds: 0.3 },
    staleness: { weight: { kind: "inverse-sqrt" }, maxStaleness: o.maxStaleness },
    compression: o.compression,
    clusters: { targetSize: 10 },
    round: { deadlineSeconds: 5 },
  };
}

async function run(o: RunOptions, service: LocalService): Promise<RunResult> {
  const admin = { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" };
  const config = simulationTask(o);
  const created = await service.fetch("/v1/admin/tasks/spam", {
    method: "PUT",
    headers: admin,
    body: JSON.stringify(o.taskConfig ? o.taskConfig(config) : config),
  });
  if (created.status !== 201)
    throw new Error(`creating the task failed: ${created.status} ${await created.text()}`);
  // The operator publishes the model's ONNX graph; devices download it (and the weights) to evaluate.
  const graphPut = await service.fetch("/v1/admin/tasks/spam/graph", {
    method: "PUT",
    headers: { ...admin, "Content-Type": "application/octet-stream" },
    body: Uint8Array.from(spamOnnxGraph(o.model)),
  });
  if (graphPut.status !== 200) throw new Error(`publishing the graph failed: ${graphPut.status}`);

  const random = seededRandom(o.seed);
  const fleetOptions: FleetOptions = { pOffline: o.pOffline, pOnline: 0.35, timeScale: 0.05 };
  const devices = createDevices(o.shards.length, random);
  const traffic: Traffic = { uploadedBytes: 0, acceptedUploads: 0 };
  // The SDK's waits (backoff, Retry-After) pass instantly: simulated time, not wall time.
  const instant: Clock = { now: () => Date.now(), sleep: async () => {} };

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
    const { train, holdout } = splitShard(o.shards[i] ?? []);
    const honest = spamTrainer({ model: o.model, train, seed: o.seed * 1000 + i });
    return {
      state: d,
      holdout,
      trainer: o.trainer ? o.trainer(i, honest) : honest,
      client: new FedgeClient({
        baseUrl: "http://fedge.local",
        task: "spam",
        store: new MemoryStore(),
        fetch: deviceFetch(d, service, traffic, fleetOptions),
        clock: instant,
        random: seededRandom(o.seed * 7919 + i),
        battery: async () => (o.ignoresBattery?.(i) ? { level: 1, charging: true } : { ...d.battery }),
        network: async () => ({ type: d.uplink > 500_000 ? "wifi" : "cellular" }),
        encoder: o.encoder(),
        training: DEFAULT_TRAIN_OPTIONS[o.model.kind],
        onEvent,
      }),
    };
  });

  // One at a time, in fleet order: clusters fill in registration order, so device i's
  // cluster is ⌊i / targetSize⌋ whatever the timing.
  const registrations: Registration[] = [];
  for (const { client } of fleet) registrations.push(await client.register());

  const tester = spamTrainer({ model: o.model, train: o.test });
  const testAccuracy = async (version: number) => {
    const res = await service.fetch(`/v1/tasks/spam/model/${version}/weights`, { headers: admin });
    if (res.status !== 200) throw new Error(`weights v${version}: ${res.status}`);
    return tester.evaluate(new Float32Array(await res.arrayBuffer())).accuracy;
  };
  const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

  const points: PlotPoint[] = [{ version: 0, accuracy: await testAccuracy(0), megabytes: 0 }];
  o.say(`\n${o.label}`);
  o.say(
    `${"version".padEnd(9)}${"test acc".padEnd(10)}${"uploaded".padEnd(14)}${"staleness".padEnd(11)}rejected`,
  );
  let ticks = 0;
  const epsilons: RunResult["epsilons"] = [];
  let budgetSpent = false;
  while (serverVersion < o.targetVersions && ticks < o.targetVersions * 20 && !budgetSpent) {
    ticks += 1;
    tick(devices, fleetOptions, random);
    await Promise.all(
      fleet.map(async ({ state, client, trainer, holdout }) => {
        if (!state.online) return;
        await client.flush();
        const round = await client.runOnce(trainer).catch((error: unknown) => {
          // A task with a privacy budget refuses check-ins once no further version fits it.
          if (!(error instanceof FedgeApiError && error.code === "privacy_budget_spent")) throw error;
          budgetSpent = true;
          return null;
        });
        if (!round) return;
        if (round.action !== "trained") return;
        drain(state, round.workScale);
        if (!round.flush.uploaded.includes(round.updateId)) offline.made.add(round.updateId);
        // Some devices also score the global model on their holdout with onnxruntime-web.
        if (state.online && holdout.length > 0 && random() < 0.1) {
          const graph = await client.graph();
          if (graph) await client.evaluate({ evaluate: (w) => evaluateWithOnnx(graph, w, holdout) });
        }
      }),
    );
    const status = (await (await service.fetch("/v1/admin/tasks/spam", { headers: admin })).json()) as {
      model: { version: number };
      versions: { version: number; epsilon: number | null }[];
    };
    for (let v = serverVersion + 1; v <= status.model.version; v++) {
      const epsilon = status.versions.find((r) => r.version === v)?.epsilon;
      if (epsilon != null) epsilons.push({ version: v, epsilon });
      const accuracy = await testAccuracy(v);
      points.push({ version: v, accuracy, megabytes: traffic.uploadedBytes / 1e6 });
      const reasons =
        Object.entries(rejected)
          .map(([k, n]) => `${k}:${n}`)
          .join(" ") || "-";
      o.say(
        `${String(v).padEnd(9)}${`${(100 * accuracy).toFixed(2)}%`.padEnd(10)}${`${(traffic.uploadedBytes / 1e6).toFixed(3)} MB`.padEnd(14)}${meanOf(staleness).toFixed(2).padEnd(11)}${reasons}${epsilon == null ? "" : `  ε ${epsilon.toFixed(3)}`}`,
      );
    }
    serverVersion = status.model.version;
    progress(Math.min(serverVersion, o.targetVersions), o.targetVersions, `versions (tick ${ticks})`);
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
  await o.inspect?.(service, registrations);
  const stats = await Promise.all(fleet.map(({ client }) => client.stats()));
  const status = (await (await service.fetch("/v1/admin/tasks/spam", { headers: admin })).json()) as {
    model: { parameters: number; version: number };
    evaluations: { version: number; reports: number; accuracy: number }[];
  };
  return {
    label: o.label,
    finalAccuracy: points.at(-1)?.accuracy ?? 0,
    versions: points.at(-1)?.version ?? 0,
    bytesUploaded: traffic.uploadedBytes,
    denseBytesEquivalent: traffic.acceptedUploads * (48 + 4 * status.model.parameters),
    updatesAccepted: traffic.acceptedUploads,
    offlineUpdates: {
      made: offline.made.size,
      applied: offline.applied,
      rejectedStale: offline.rejectedStale,
      lost: offline.made.size - offline.applied - offline.rejectedStale,
    },
    updatesStillPending: stats.reduce((s, x) => s + x.pending, 0),
    meanStaleness: meanOf(staleness),
    rejected,
    federatedEvaluation: status.evaluations.at(-1) ?? null,
    points,
    ticks,
    epsilons,
    budgetSpent,
  };
}
