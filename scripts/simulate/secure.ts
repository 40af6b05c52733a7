/**
 * `npm run simulate -- --secure`: the spam filter trained through secure aggregation, with
 * the same updates sent in the clear to a twin task, in one workerd. Each version, every
 * device trains on the secure task's model; its update goes masked through its cluster's
 * secure round and, clipped the same way and with the same weight (1), to the plain task
 * as a frame. A fifth of each cluster leaves every round after sending its masked input
 * (its input is in the sum; it reveals no shares), so each round unmasks without them.
 * Both tasks publish a version per round; their weights differ only by the fixed-point
 * rounding of the masked inputs, reported as the largest difference over the run.
 */

import { runSecureRound, type SecureTransport } from "../../sdk/core/secure-round";
import type { Example } from "../../sdk/spam/features";
import { modelSpec, type SpamModel } from "../../sdk/spam/model";
import { DEFAULT_TRAIN_OPTIONS, spamTrainer } from "../../sdk/spam/trainer";
import { clipToNorm } from "../../shared/aggregation/clipping";
import type { CheckinAnswer, Registration, SecureRoundViewBody } from "../../shared/protocol/api";
import { encodeDenseF32Frame, randomUpdateId } from "../../shared/protocol/frame";
import type { TaskConfigInput } from "../../shared/protocol/task-config";
import type { LocalService } from "../local-service";
import { startLocalService } from "../local-service";

export interface SecureRunOptions {
  model: SpamModel;
  shards: Example[][];
  test: Example[];
  seed: number;
  versions: number;
  clipNorm: number;
  /** Share of each cluster that leaves after masking, each round. */
  dropout: number;
  /** Distributed DP on the secure task: the devices' noise sums to N(0, (σC)²) per version. */
  dp?: { noiseMultiplier: number; delta: number; epsilonBudget: number };
  say: (line: string) => void;
}

export interface SecureRunResult {
  secure: {
    finalAccuracy: number;
    maxAbsDiffVsPlain: number;
    dropoutsRecovered: number;
    roundsAbandoned: number;
    bytesPerDevicePerRound: number;
    versions: number;
    /** With dp: ε after the last version. */
    epsilon: number | null;
    /** 5xx answers the devices had to retry. */
    serverErrors: number;
  };
  plain: { finalAccuracy: number };
}

const CLUSTER = 10;

export async function runSecure(o: SecureRunOptions): Promise<SecureRunResult> {
  const service = await startLocalService({ outdir: ".wrangler/simulate-secure" });
  try {
    return await run(o, service);
  } finally {
    await service.dispose();
  }
}

async function run(o: SecureRunOptions, service: LocalService): Promise<SecureRunResult> {
  const n = o.shards.length;
  const admin = { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" };
  const base: TaskConfigInput = {
    model: modelSpec(o.model, o.seed),
    optimizer: { kind: "fedavg", serverLearningRate: 1 },
    // One version per round of all n devices; the deadline is only a backstop.
    round: { targetUpdates: n, deadlineSeconds: 600 },
    clusters: { targetSize: CLUSTER },
    staleness: { weight: { kind: "constant" }, maxStaleness: 0 },
  };
  const configs: Record<string, TaskConfigInput> = {
    secure: {
      ...base,
      // Long enough for a hundred devices' crypto in one process; members that left make the unmask phase wait it out.
      privacy: {
        secureAggregation: { kind: "secagg", clipNorm: o.clipNorm, phaseSeconds: 5 },
        ...(o.dp ? { dp: { kind: "distributed", samplingRate: 1, ...o.dp } } : {}),
      },
    },
    plain: { ...base, limits: { clipping: { kind: "fixed", maxNorm: o.clipNorm } } },
  };
  for (const [task, config] of Object.entries(configs)) {
    const res = await service.fetch(`/v1/admin/tasks/${task}`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify(config),
    });
    if (res.status !== 201) throw new Error(`creating ${task}: ${res.status} ${await res.text()}`);
  }
  // Each device registers from its own address, as phones do (registrations are limited per address).
  const register = async (task: string, i: number) => {
    const res = await service.fetch(`/v1/tasks/${task}/devices`, {
      method: "POST",
      headers: { "X-Fedge-Region": "weur", "CF-Connecting-IP": `10.9.${i >> 8}.${i & 255}` },
    });
    if (res.status !== 201) throw new Error(`registering in ${task}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Registration;
  };
  // One at a time: device i is in cluster ⌊i / 10⌋ of both tasks.
  const devices: { secure: Registration; plain: Registration; bytes: number }[] = [];
  for (let i = 0; i < n; i++)
    devices.push({ secure: await register("secure", i), plain: await register("plain", i), bytes: 0 });

  const checkin = async (task: string, token: string) => {
    const res = await service.fetch(`/v1/tasks/${task}/checkin`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: "{}",
    });
    const answer = (await res.json()) as CheckinAnswer;
    if (answer.action !== "train") throw new Error(`${task}: expected train, got ${JSON.stringify(answer)}`);
    return answer;
  };
  const weightsOf = async (task: string, version: number) => {
    const res = await service.fetch(`/v1/tasks/${task}/model/${version}/weights`, { headers: admin });
    if (res.status !== 200) throw new Error(`${task} v${version}: ${res.status}`);
    return new Float32Array(await res.arrayBuffer());
  };
  const viewOf = async (task: string) =>
    (await (await service.fetch(`/v1/admin/tasks/${task}`, { headers: admin })).json()) as {
      model: { version: number };
      privacy: { epsilon: number } | null;
    };
  const versionOf = async (task: string) => (await viewOf(task)).model.version;
  /** 5xx answers: the device retries them (every secure call is idempotent); a run should have none. */
  const serverErrors: string[] = [];
  const transport = (device: (typeof devices)[number]): SecureTransport => {
    const call = async (url: string, init: RequestInit, sent: number) => {
      const res = await service.fetch(url, {
        ...init,
        headers: {
          Authorization: `Bearer ${device.secure.token}`,
          ...(init.headers as Record<string, string>),
        },
      });
      const text = await res.text();
      device.bytes += sent + text.length;
      if (res.status >= 500)
        serverErrors.push(`${init.method ?? "GET"} ${url}: ${res.status} ${text.slice(0, 300)}`);
      if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${text}`);
      return JSON.parse(text) as SecureRoundViewBody;
    };
    const json = (url: string, body: unknown) => {
      const text = JSON.stringify(body);
      return call(
        url,
        { method: "POST", headers: { "Content-Type": "application/json" }, body: text },
        text.length,
      );
    };
    return {
      get: (url) => call(url, {}, 0),
      post: json,
      postBytes: (url, body) =>
        call(
          url,
          {
            method: "POST",
            headers: { "Content-Type": "application/octet-stream" },
            body: body as Uint8Array<ArrayBuffer>,
          },
          body.byteLength,
        ),
    };
  };

  const trainers = o.shards.map((shard, i) =>
    spamTrainer({ model: o.model, train: shard, seed: o.seed * 1000 + i }),
  );
  const tester = spamTrainer({ model: o.model, train: o.test });
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  let maxAbsDiff = 0;
  let dropoutsRecovered = 0;
  let roundsAbandoned = 0;
  let version = 0;
  o.say(`${"version".padEnd(9)}${"secure acc".padEnd(12)}${"plain acc".padEnd(11)}max |secure − plain|`);
  for (let round = 0; round < o.versions; round++) {
    const model = await weightsOf("secure", version);
    const leaving = new Set(
      devices.map((_, i) => i).filter((i) => i % CLUSTER < Math.round(o.dropout * CLUSTER)),
    );
    const outcomes = await Promise.all(
      devices.map(async (d, i) => {
        const update = trainers[i]!.train(model, DEFAULT_TRAIN_OPTIONS[o.model.kind]).update;
        const [secure, plain] = [
          await checkin("secure", d.secure.token),
          await checkin("plain", d.plain.token),
        ];
        // The plain twin gets the update as the secure round's device clips it, with weight 1.
        const frame = encodeDenseF32Frame(clipToNorm(update, o.clipNorm), {
          baseVersion: plain.upload.baseVersion,
          sampleWeight: 1,
          updateId: randomUpdateId(),
          layoutHash: plain.upload.layoutHash,
        });
        // As a device would: a shed upload (429, 503) is sent again after its Retry-After.
        for (let attempt = 1; ; attempt++) {
          const sent = await service.fetch(plain.upload.url, {
            method: "POST",
            headers: { Authorization: `Bearer ${d.plain.token}`, "Content-Type": "application/octet-stream" },
            body: frame as Uint8Array<ArrayBuffer>,
          });
          const text = await sent.text();
          if (sent.status === 202) break;
          if ((sent.status !== 429 && sent.status !== 503) || attempt >= 10) {
            throw new Error(`plain upload: ${sent.status} ${text}`);
          }
          await sleep(1000 * Number(sent.headers.get("Retry-After") ?? 1));
        }
        return runSecureRound({
          device: d.secure.deviceId,
          url: secure.upload.secure!.url,
          update,
          clipNorm: o.clipNorm,
          transport: transport(d),
          sleep,
          pollMs: 50,
          ...(leaving.has(i) ? { leaveAfter: "masked" as const } : {}),
        });
      }),
    );
    const abandoned = outcomes.flatMap((r, i) =>
      r.status === "dropped" && r.reason.startsWith("the round was abandoned")
        ? [Math.floor(i / CLUSTER)]
        : [],
    );
    roundsAbandoned += new Set(abandoned).size;
    // Left after masking, in a round that still unmasked: their inputs are in the version.
    dropoutsRecovered += outcomes.filter(
      (r, i) => r.status === "dropped" && leaving.has(i) && !abandoned.includes(Math.floor(i / CLUSTER)),
    ).length;
    // Both tasks close the round once all n updates are in: wait for each to publish.
    for (const task of ["secure", "plain"]) {
      for (let i = 0; (await versionOf(task)) <= version; i++) {
        if (i > 600) throw new Error(`${task} did not publish version ${version + 1}`);
        await sleep(50);
      }
    }
    version += 1;
    const [s, p] = [await weightsOf("secure", version), await weightsOf("plain", version)];
    let diff = 0;
    for (let j = 0; j < s.length; j++) diff = Math.max(diff, Math.abs(s[j]! - p[j]!));
    maxAbsDiff = Math.max(maxAbsDiff, diff);
    const [sa, pa] = [tester.evaluate(s).accuracy, tester.evaluate(p).accuracy];
    o.say(
      `${String(version).padEnd(9)}${`${(100 * sa).toFixed(2)}%`.padEnd(12)}${`${(100 * pa).toFixed(2)}%`.padEnd(11)}${diff.toExponential(2)}`,
    );
  }
  for (const e of serverErrors.slice(0, 3)) o.say(`server error (retried): ${e}`);
  const [s, p] = [await weightsOf("secure", version), await weightsOf("plain", version)];
  const bytes = devices.reduce((sum, d) => sum + d.bytes, 0);
  return {
    secure: {
      finalAccuracy: tester.evaluate(s).accuracy,
      maxAbsDiffVsPlain: maxAbsDiff,
      dropoutsRecovered,
      roundsAbandoned,
      bytesPerDevicePerRound: Math.round(bytes / (n * o.versions)),
      versions: version,
      epsilon: (await viewOf("secure")).privacy?.epsilon ?? null,
      serverErrors: serverErrors.length,
    },
    plain: { finalAccuracy: tester.evaluate(p).accuracy },
  };
}
