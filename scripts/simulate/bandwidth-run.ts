/**
 * One run of `--bandwidth mixed`: a fresh fedge in workerd, a task, and a fleet of SDK
 * clients on simulated links. Each device has its own simulated clock (sim-clock.ts): its
 * fetch passes the request's simulated duration on that clock before the request reaches
 * the service (upload: RTT + bytes / uplink; anything else: RTT), training passes the
 * compute time, and the SDK's sleeps pass simulated time. Devices act one at a time in
 * order of simulated time, so the service sees updates in the order their simulated
 * uploads complete. After every action the admin view is read, and a new model version is
 * stamped with the simulated time at which it was first seen.
 */
import { MemoryStore } from "../../sdk/adapters/memory-store";
import type { CheckinAnswer, CheckinRequest } from "../../sdk/core/api-types";
import { FedgeClient } from "../../sdk/core/client";
import type { UpdateEncoder } from "../../sdk/core/encoder";
import type { FetchLike } from "../../sdk/core/http";
import type { LocalTrainer } from "../../sdk/core/trainer";
import type { FedgeEvent } from "../../sdk/core/uploader";
import { seededRandom } from "../../sdk/spam/random";
import { DEFAULT_TRAIN_OPTIONS, spamTrainer } from "../../sdk/spam/trainer";
import type { TaskConfigInput } from "../../shared/protocol/task-config";
import { type LocalService, startLocalService } from "../local-service";
import { progress } from "./progress";
import { simulationTask, type TrainingSetup } from "./run";
import { type BandwidthClass, DeviceClock, EventQueue, type LevelAssignment } from "./sim-clock";

/** The task's compression, and (for the adaptive run) the server's controller. */
export type SimCompression = NonNullable<TaskConfigInput["compression"]>;

export interface SimRunOptions extends TrainingSetup {
  label: string;
  compression: SimCompression;
  encoder: () => UpdateEncoder;
  classes: readonly BandwidthClass[];
  /** Each device's class (an index into `classes`). */
  deviceClass: readonly number[];
  /** Simulated seconds of local training per update (times the check-in's workScale). */
  computeSeconds: number;
  /**
   * A device told to wait comes back after at most this many simulated seconds; null: after
   * the server's retryAfterSeconds, whatever it is.
   */
  pollSeconds: number | null;
  /** The run stops at this simulated time if the target version has not come. */
  maxSimSeconds: number;
  say: (line: string) => void;
  /** Serve the build an earlier run of this process made (local-service.ts). */
  skipBuild?: boolean;
}

export interface SimPoint {
  version: number;
  /** Simulated seconds at which the version was first seen published. */
  seconds: number;
  accuracy: number;
  /** Payload bytes of accepted uploads by then. */
  bytes: number;
}

export interface SimRunResult {
  label: string;
  finalAccuracy: number;
  versions: number;
  points: SimPoint[];
  bytes: number;
  /** Payload bytes of every upload attempt, accepted or not: what the links carried. */
  bytesSent: number;
  denseBytesEquivalent: number;
  updatesAccepted: number;
  /** Accepted uploads and their bytes, per class. */
  perClass: ClassStats[];
  /** Every `train` answer's assigned level, with the simulated time it arrived. */
  assignments: LevelAssignment[];
  rejected: Record<string, number>;
  meanStaleness: number;
  /** Simulated seconds when the run stopped. */
  simSeconds: number;
  /** Actions processed by the event queue. */
  events: number;
  /** Simulated device-seconds, summed over the fleet, by what the devices were doing. */
  deviceSeconds: { waiting: number; uploading: number; roundTrips: number; training: number };
}

export interface ClassStats {
  /** Accepted uploads, and their payload bytes. */
  updates: number;
  bytes: number;
  trainAnswers: number;
  /** Uploads refused for good, by code. */
  rejected: Record<string, number>;
  /** Medians of what the class's check-ins reported (the SDK's measurements), null before any. */
  reportedUplinkBytesPerSecond: number | null;
  reportedRttMs: number | null;
}

/** The task refused the configuration (e.g. a compression controller this service does not have). */
export class TaskRefused extends Error {}

export async function runSimulated(o: SimRunOptions): Promise<SimRunResult> {
  const service = await startLocalService({ skipBuild: o.skipBuild === true });
  try {
    return await run(o, service);
  } finally {
    await service.dispose();
  }
}

async function run(o: SimRunOptions, service: LocalService): Promise<SimRunResult> {
  const admin = { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" };
  // The same task as the other simulations, with this run's compression.
  const config = simulationTask(o);
  const created = await service.fetch("/v1/admin/tasks/spam", {
    method: "PUT",
    headers: admin,
    body: JSON.stringify(config),
  });
  if (created.status !== 201)
    throw new TaskRefused(`creating the task failed: ${created.status} ${await created.text()}`);

  const epochMs = Date.now();
  const queue = new EventQueue();
  const traffic = { bytes: 0, updates: 0, sent: 0 };
  const perClass: ClassStats[] = o.classes.map(() => ({
    updates: 0,
    bytes: 0,
    trainAnswers: 0,
    rejected: {},
    reportedUplinkBytesPerSecond: null,
    reportedRttMs: null,
  }));
  const reports = o.classes.map(() => ({ uplink: [] as number[], rtt: [] as number[] }));
  const spent = { waiting: 0, uploading: 0, roundTrips: 0, training: 0 };
  const assignments: LevelAssignment[] = [];
  const rejected: Record<string, number> = {};
  const staleness: number[] = [];
  let serverVersion = 0;

  const fleet = o.shards.map((shard, id) => {
    const cls = o.deviceClass[id] ?? 0;
    const link = o.classes[cls]!;
    const clock = new DeviceClock(epochMs);
    const onEvent = (e: FedgeEvent) => {
      if (e.type === "uploaded") staleness.push(Math.max(0, serverVersion - e.baseVersion));
      else if (e.type === "rejected") {
        rejected[e.code] = (rejected[e.code] ?? 0) + 1;
        perClass[cls]!.rejected[e.code] = (perClass[cls]!.rejected[e.code] ?? 0) + 1;
      }
    };
    const honest = spamTrainer({ model: o.model, train: shard, seed: o.seed * 1000 + id });
    const trainer: LocalTrainer = {
      train: (weights, options) => {
        clock.advance(o.computeSeconds * (options.workScale ?? 1));
        spent.training += o.computeSeconds * (options.workScale ?? 1);
        return honest.train(weights, options);
      },
    };
    const fetch: FetchLike = async (input, init) => {
      if (queue.stopped) throw new TypeError("fetch failed: the simulation is over");
      const url = new URL(input);
      const isUpload = url.pathname.endsWith("/updates") && init?.method === "POST";
      const bytes = isUpload && init?.body instanceof Uint8Array ? init.body.byteLength : 0;
      // The request reaches the service once its simulated transfer is over.
      clock.advance(link.rttSeconds + bytes / link.uplinkBytesPerSecond);
      spent.roundTrips += link.rttSeconds;
      spent.uploading += bytes / link.uplinkBytesPerSecond;
      if (queue.started) await queue.at(id, clock.seconds);
      if (queue.stopped) throw new TypeError("fetch failed: the simulation is over");
      traffic.sent += bytes;
      // Each virtual device has an address of its own (the per-address registration limiter).
      const headers = new Headers(init?.headers);
      headers.set("CF-Connecting-IP", `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`);
      const res = await service.fetch(url.pathname + url.search, { ...init, headers });
      if (isUpload && res.status === 202) {
        traffic.bytes += bytes;
        traffic.updates += 1;
        perClass[cls]!.updates += 1;
        perClass[cls]!.bytes += bytes;
      }
      if (url.pathname.endsWith("/checkin") && typeof init?.body === "string") {
        const report = JSON.parse(init.body) as CheckinRequest;
        if (report.network?.uplinkBytesPerSecond !== undefined)
          reports[cls]!.uplink.push(report.network.uplinkBytesPerSecond);
        if (report.network?.rttMs !== undefined) reports[cls]!.rtt.push(report.network.rttMs);
      }
      if (url.pathname.endsWith("/checkin") && res.status === 200) {
        const answer = (await res.clone().json()) as CheckinAnswer;
        if (answer.action === "train") {
          perClass[cls]!.trainAnswers += 1;
          const level = answer.upload.compression;
          assignments.push({
            seconds: clock.seconds,
            cls,
            density: level?.density ?? 1,
            bits: level?.bits ?? 32,
          });
        }
      }
      return res;
    };
    const client = new FedgeClient({
      baseUrl: "http://fedge.local",
      task: "spam",
      store: new MemoryStore(),
      fetch,
      clock,
      random: seededRandom(o.seed * 7919 + id),
      // Batteries never stop training here: the links are what varies.
      battery: async () => ({ level: 1, charging: true }),
      network: async () => ({ type: link.networkType }),
      encoder: o.encoder(),
      training: DEFAULT_TRAIN_OPTIONS[o.model.kind],
      // A device may wait its turn for long in real time; the real timer must not cut it off.
      requestTimeoutMs: 3_600_000,
      onEvent,
    });
    return { id, clock, client, trainer };
  });

  // Registration, one at a time in fleet order (clusters fill in registration order), at time 0.
  for (const { client } of fleet) await client.register();

  const processes = fleet.map(async ({ id, clock, client, trainer }) => {
    try {
      await queue.at(id, clock.seconds);
      while (!queue.stopped) {
        const round = await client.runOnce(trainer);
        // Told to wait (or backing off): come back after that many simulated seconds.
        if (round.action === "wait") {
          const wait = Math.min(round.retryAfterMs / 1000, o.pollSeconds ?? Number.POSITIVE_INFINITY);
          clock.advance(wait);
          spent.waiting += wait;
        }
      }
    } finally {
      queue.leave(id);
    }
  });
  const failed = Promise.all(processes).then(() => undefined);

  const seen: { version: number; seconds: number; bytes: number }[] = [{ version: 0, seconds: 0, bytes: 0 }];
  let events = 0;
  o.say(`\n${o.label}`);
  await Promise.race([
    queue.run(async (now) => {
      events += 1;
      const status = (await (await service.fetch("/v1/admin/tasks/spam", { headers: admin })).json()) as {
        model: { version: number };
      };
      for (let v = serverVersion + 1; v <= status.model.version; v++)
        seen.push({ version: v, seconds: now, bytes: traffic.bytes });
      if (status.model.version > serverVersion) {
        serverVersion = status.model.version;
        progress(
          Math.min(serverVersion, o.targetVersions),
          o.targetVersions,
          `versions (${now.toFixed(1)} simulated s)`,
        );
      }
      return serverVersion < o.targetVersions && now <= o.maxSimSeconds;
    }),
    // A device whose process throws (not a network failure: a bug) ends the run with its error.
    failed.then(() => {
      throw new Error("every device stopped before the run ended");
    }),
  ]);
  const simSeconds = queue.now;
  reports.forEach((r, cls) => {
    perClass[cls]!.reportedUplinkBytesPerSecond = median(r.uplink);
    perClass[cls]!.reportedRttMs = median(r.rtt);
  });
  queue.stop();
  await failed;

  const tester = spamTrainer({ model: o.model, train: o.test });
  const points: SimPoint[] = [];
  for (const s of seen) {
    const res = await service.fetch(`/v1/tasks/spam/model/${s.version}/weights`, { headers: admin });
    if (res.status !== 200) throw new Error(`weights v${s.version}: ${res.status}`);
    const accuracy = tester.evaluate(new Float32Array(await res.arrayBuffer())).accuracy;
    points.push({ ...s, accuracy });
  }
  const status = (await (await service.fetch("/v1/admin/tasks/spam", { headers: admin })).json()) as {
    model: { parameters: number };
  };
  o.say(`${"version".padEnd(9)}${"sim s".padEnd(10)}${"test acc".padEnd(10)}uploaded`);
  for (const p of points)
    o.say(
      `${String(p.version).padEnd(9)}${p.seconds.toFixed(1).padEnd(10)}${`${(100 * p.accuracy).toFixed(2)}%`.padEnd(10)}${(p.bytes / 1e3).toFixed(1)} kB`,
    );
  return {
    label: o.label,
    finalAccuracy: points.at(-1)?.accuracy ?? 0,
    versions: points.at(-1)?.version ?? 0,
    points,
    bytes: traffic.bytes,
    bytesSent: traffic.sent,
    denseBytesEquivalent: traffic.updates * (48 + 4 * status.model.parameters),
    updatesAccepted: traffic.updates,
    perClass,
    assignments,
    rejected,
    meanStaleness: staleness.length ? staleness.reduce((a, b) => a + b, 0) / staleness.length : 0,
    simSeconds,
    events,
    deviceSeconds: spent,
  };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
