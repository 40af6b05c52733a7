/**
 * `npm run simulate`: a federated spam filter trained on the SpamAssassin corpus by a
 * fleet of virtual devices, through the real SDK, against fedge running in workerd —
 * compressed (top-k + quantization with error feedback) and dense side by side, against
 * centralized training on the same split. `--help` lists the options.
 */
import { writeFileSync } from "node:fs";
import { denseF32Encoder } from "../sdk/core/encoder";
import { errorFeedbackEncoder } from "../sdk/core/error-feedback-encoder";
import { centralizedBaseline } from "../sdk/spam/baseline";
import { splitTrainTest } from "../sdk/spam/dataset";
import { loadSpamAssassin } from "../sdk/spam/dataset.node.js";
import { featurize } from "../sdk/spam/features";
import type { ModelKind, SpamModel } from "../sdk/spam/model";
import { partitionByLabel } from "../sdk/spam/partition";
import { calibrateNoise } from "../shared/privacy/central-dp";
import { intOption, parseOptions } from "./cli";
import {
  BANDWIDTH_HELP,
  bandwidthMode,
  DEFAULT_BYTE_BUDGET,
  DEFAULT_LEVELS,
  parseLevels,
} from "./simulate/bandwidth";
import { plotSvg } from "./simulate/plot";
import { type RunResult, runFederated, type TrainingSetup } from "./simulate/run";
import { runSecure } from "./simulate/secure";

const HELP = `usage: npm run simulate [-- options]

Trains a spam filter on SpamAssassin with virtual devices driving fedge (in workerd) through
the SDK: once with compressed updates, once dense, and compares both with centralized
training on the same split.

  --devices N          virtual devices (default 100)
  --versions N         train until the model reaches this version (default 30)
  --model KIND         logistic | mlp (default logistic)
  --buckets N          hashed-token buckets (default 65536)
  --density D          top-k density of compressed updates, 0 < D ≤ 1 (default 0.01)
  --bits B             bits per value of compressed updates: 32 | 16 | 8 | 4 (default 8)
  --only RUN           compressed | dense: run just one of the two
  --buffer K           FedBuff buffer: updates per model version (default 20)
  --max-staleness N    refuse updates more than N versions old (default 20)
  --offline P          per-tick probability that an online device drops off mid-round (default
                       0.15; with a 0.35 chance per tick of coming back, ~30% are offline)
  --dp                 train twice, without and with central differential privacy (the
                       compressed run, or the dense one with --only dense): clip to --clip,
                       noise calibrated so that --versions versions spend --epsilon at --delta,
                       sampling rate --buffer / --devices, and that budget set on the task
  --epsilon E          the DP run's privacy budget (default 8)
  --delta D            the DP run's δ (default 1e-5)
  --clip C             the DP run's L2 clipping norm, and --secure's (default 1)
  --secure             train through secure aggregation (clusters of 10, one round per
                       version), sending the same updates in the clear to a twin task, and
                       compare the two models; reports --json { secure, plain }
  --dropout P          --secure: share of each cluster that leaves every round after sending
                       its masked input (default 0.2)
                       --secure --dp: distributed DP on the secure task (device noise, --epsilon
                       over --versions versions at --delta, every device in every version)
${BANDWIDTH_HELP}
  --seed N             seeds the shards, the fleet and training (default 1)
  --plot FILE          where to write the SVG chart (default simulation.svg)
  --json               print one JSON object as the last line`;

function fail(message: string): never {
  console.error(`simulate: ${message}\n\n${HELP}`);
  process.exit(2);
}
const opts = parseOptions(
  {
    devices: { type: "string", default: "100" },
    versions: { type: "string", default: "30" },
    model: { type: "string", default: "logistic" },
    buckets: { type: "string", default: String(1 << 16) },
    density: { type: "string", default: "0.01" },
    bits: { type: "string", default: "8" },
    only: { type: "string" },
    buffer: { type: "string", default: "20" },
    "max-staleness": { type: "string", default: "20" },
    offline: { type: "string", default: "0.15" },
    seed: { type: "string", default: "1" },
    dp: { type: "boolean" },
    epsilon: { type: "string", default: "8" },
    delta: { type: "string", default: "1e-5" },
    clip: { type: "string", default: "1" },
    secure: { type: "boolean" },
    dropout: { type: "string", default: "0.2" },
    plot: { type: "string", default: "simulation.svg" },
    json: { type: "boolean" },
    help: { type: "boolean" },
    bandwidth: { type: "string" },
    levels: { type: "string", default: DEFAULT_LEVELS },
    "compute-seconds": { type: "string", default: "0.2" },
    "poll-seconds": { type: "string" },
    "max-sim-seconds": { type: "string", default: "3600" },
    "byte-budget": { type: "string", default: String(DEFAULT_BYTE_BUDGET) },
  },
  fail,
);
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const int = (name: keyof typeof opts, min: number) =>
  intOption(name, opts[name] as string | undefined, min, fail);
const devices = int("devices", 1);
const density = Number(opts.density);
if (!(density > 0 && density <= 1)) fail(`--density must be in (0, 1], got "${opts.density}"`);
const bits = Number(opts.bits);
if (bits !== 32 && bits !== 16 && bits !== 8 && bits !== 4)
  fail(`--bits must be 32, 16, 8 or 4, got "${opts.bits}"`);
const pOffline = Number(opts.offline);
if (!(pOffline >= 0 && pOffline < 1)) fail(`--offline must be in [0, 1), got "${opts.offline}"`);
if (opts.model !== "logistic" && opts.model !== "mlp")
  fail(`--model must be logistic or mlp, got "${opts.model}"`);
if (opts.only !== undefined && opts.only !== "compressed" && opts.only !== "dense") {
  fail(`--only must be compressed or dense, got "${opts.only}"`);
}
const seed = int("seed", 0);
const epsilon = Number(opts.epsilon);
if (!(epsilon > 0 && epsilon <= 1e6)) fail(`--epsilon must be in (0, 10⁶], got "${opts.epsilon}"`);
const delta = Number(opts.delta);
if (!(delta > 0 && delta <= 0.1)) fail(`--delta must be in (0, 0.1], got "${opts.delta}"`);
const clip = Number(opts.clip);
if (!(clip > 0 && clip <= 1e6)) fail(`--clip must be in (0, 10⁶], got "${opts.clip}"`);
const buckets = int("buckets", 2);
if (opts.bandwidth !== undefined && opts.bandwidth !== "mixed")
  fail(`--bandwidth must be mixed, got "${opts.bandwidth}"`);
const levels = parseLevels(opts.levels, fail);
const computeSeconds = Number(opts["compute-seconds"]);
if (!(computeSeconds >= 0 && computeSeconds <= 3600))
  fail(`--compute-seconds must be in [0, 3600], got "${opts["compute-seconds"]}"`);
const pollSeconds = opts["poll-seconds"] === undefined ? null : Number(opts["poll-seconds"]);
if (pollSeconds !== null && !(pollSeconds > 0 && pollSeconds <= 3600))
  fail(`--poll-seconds must be in (0, 3600], got "${opts["poll-seconds"]}"`);
const byteBudget = Number(opts["byte-budget"]);
if (!(byteBudget === 0 || (byteBudget >= 1 && byteBudget <= 100_000)))
  fail(`--byte-budget must be 0 (none) or in [1, 100000], got "${opts["byte-budget"]}"`);
const maxSimSeconds = Number(opts["max-sim-seconds"]);
if (!(maxSimSeconds > 0)) fail(`--max-sim-seconds must be > 0, got "${opts["max-sim-seconds"]}"`);
const model: SpamModel = { kind: opts.model as ModelKind, buckets };
const say = (line: string) => (opts.json ? process.stderr.write(`${line}\n`) : console.log(line));
const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const started = performance.now();

// The fixed 80/20 split; label-skewed shards of the training part (Dirichlet α = 0.5).
const messages = loadSpamAssassin();
const split = splitTrainTest(messages);
const shards = partitionByLabel(
  split.train.map((m) => featurize(m, buckets)),
  { clients: devices, seed, alpha: 0.5 },
);
const test = split.test.map((m) => featurize(m, buckets));

if (opts.secure) {
  const dropout = Number(opts.dropout);
  if (!(dropout >= 0 && dropout < 0.5)) fail(`--dropout must be in [0, 0.5), got "${opts.dropout}"`);
  const versions = int("versions", 1);
  say(
    `secure aggregation: ${devices} devices in clusters of 10, ${versions} versions, ${100 * dropout}% of each cluster leaving after masking`,
  );
  // With --dp: distributed DP on the secure task; every device takes part in every version (q = 1).
  const dp = opts.dp
    ? {
        noiseMultiplier: calibrateNoise({ epsilon, delta, samplingRate: 1, versions }),
        delta,
        epsilonBudget: epsilon,
      }
    : undefined;
  if (dp)
    say(
      `distributed DP: σ = ${dp.noiseMultiplier.toFixed(3)} so that ${versions} versions spend ε = ${epsilon} at δ = ${delta}`,
    );
  const result = await runSecure({
    model,
    shards,
    test,
    seed,
    versions,
    clipNorm: clip,
    dropout,
    say,
    ...(dp ? { dp } : {}),
  });
  const s = result.secure;
  say(
    `secure: ${percent(s.finalAccuracy)} after ${s.versions} versions, plain twin: ${percent(result.plain.finalAccuracy)}; largest |secure − plain| weight ${s.maxAbsDiffVsPlain.toExponential(2)}; ${s.dropoutsRecovered} dropouts recovered, ${s.roundsAbandoned} rounds abandoned; ${(s.bytesPerDevicePerRound / 1e3).toFixed(1)} kB per device per round`,
  );
  if (opts.json)
    console.log(
      JSON.stringify({ ...result, devices, seconds: Math.round((performance.now() - started) / 1000) }),
    );
  process.exit(0);
}

const baseline = centralizedBaseline(messages, { model, seed });
const centralizedAccuracy = baseline.epochs.at(-1)?.accuracy ?? 0;
say(`centralized ${model.kind} on the same split, trained the same way: ${percent(centralizedAccuracy)}`);

// What every run trains with.
const setup: TrainingSetup = {
  model,
  shards,
  test,
  seed,
  targetVersions: int("versions", 1),
  bufferSize: int("buffer", 1),
  maxStaleness: int("max-staleness", 0),
};

if (opts.bandwidth !== undefined) {
  await bandwidthMode({
    ...setup,
    levels,
    computeSeconds,
    pollSeconds,
    maxSimSeconds,
    byteBudget: byteBudget === 0 ? null : byteBudget,
    centralizedAccuracy,
    plot: opts.plot,
    json: opts.json === true,
    say,
    started,
  });
  process.exit(0);
}

const common = { ...setup, pOffline, say };
const compressedRun = {
  label: `compressed: top-${100 * density}% at ${bits} bits, error feedback`,
  compression: { density, bits: bits as 32 | 16 | 8 | 4 },
  encoder: () => errorFeedbackEncoder(),
};
const denseRun = {
  label: "dense f32",
  compression: { density: 1, bits: 32 as const },
  encoder: () => denseF32Encoder,
};
const runs: RunResult[] = [];
let dp: { noiseMultiplier: number; samplingRate: number } | null = null;
if (opts.dp) {
  // The same run twice, without and with central DP.
  const base = opts.only === "dense" ? denseRun : compressedRun;
  runs.push(await runFederated({ ...common, ...base, label: `${base.label}, not private` }));
  // Each version holds K of the N devices' updates; the accountant takes that as sampling at K/N.
  const samplingRate = Math.min(1, common.bufferSize / devices);
  const noiseMultiplier = calibrateNoise({ epsilon, delta, samplingRate, versions: common.targetVersions });
  dp = { noiseMultiplier, samplingRate };
  runs.push(
    await runFederated({
      ...common,
      ...base,
      label: `${base.label}, central DP: C = ${clip}, σ = ${noiseMultiplier.toFixed(3)}, q = ${samplingRate}, budget ε = ${epsilon} at δ = ${delta}`,
      taskConfig: (config) => ({
        ...config,
        privacy: {
          dp: {
            kind: "central",
            clipNorm: clip,
            noiseMultiplier,
            samplingRate,
            delta,
            epsilonBudget: epsilon,
          },
        },
      }),
    }),
  );
} else {
  if (opts.only !== "dense") runs.push(await runFederated({ ...common, ...compressedRun }));
  if (opts.only !== "compressed") runs.push(await runFederated({ ...common, ...denseRun }));
}

writeFileSync(
  opts.plot,
  plotSvg(
    runs.map((r) => ({ label: r.label, points: r.points })),
    `fedge: federated ${model.kind} on SpamAssassin, ${devices} devices (centralized ${percent(centralizedAccuracy)})`,
  ),
);
say("");
for (const r of runs) {
  const o = r.offlineUpdates;
  say(`${r.label}:
  final test accuracy ${percent(r.finalAccuracy)} (${((100 * r.finalAccuracy) / centralizedAccuracy).toFixed(1)}% of centralized) at version ${r.versions}
  uploaded ${(r.bytesUploaded / 1e6).toFixed(3)} MB in ${r.updatesAccepted} updates; dense f32 would be ${(r.denseBytesEquivalent / 1e6).toFixed(1)} MB (${(r.denseBytesEquivalent / r.bytesUploaded).toFixed(1)}× more)
  offline updates: ${o.made} made, ${o.applied} applied, ${o.rejectedStale} rejected as stale, ${o.lost} lost; mean staleness ${r.meanStaleness.toFixed(2)}`);
}
const [headline, second] = [runs[0]!, runs.length > 1 ? runs[1] : undefined];
/** Test accuracy averaged over the last five versions: steadier than the last one alone, which swings on skewed shards. */
const lastFive = (r: RunResult) => {
  const tail = r.points.slice(-5);
  return tail.reduce((s, p) => s + p.accuracy, 0) / tail.length;
};
const dense = dp ? undefined : second;
const privateRun = dp ? second : undefined;
if (privateRun) {
  say(
    `central DP vs not private: ${(100 * (privateRun.finalAccuracy - headline.finalAccuracy)).toFixed(2)} points of final accuracy (${(100 * (lastFive(privateRun) - lastFive(headline))).toFixed(2)} over the last five versions) at ε = ${privateRun.epsilons.at(-1)?.epsilon.toFixed(3)} (δ = ${delta}) after ${privateRun.versions} versions${privateRun.budgetSpent ? "; the budget is spent" : ""}`,
  );
}
if (dense) {
  say(
    `compressed vs dense: ${(100 * (headline.finalAccuracy - dense.finalAccuracy)).toFixed(2)} points of accuracy, ${(dense.bytesUploaded / headline.bytesUploaded).toFixed(1)}× fewer bytes uploaded`,
  );
}
say(`plot: ${opts.plot}`);
if (opts.json && dp && privateRun) {
  console.log(
    JSON.stringify({
      centralizedAccuracy,
      dp: {
        epsilon: privateRun.epsilons.at(-1)?.epsilon ?? 0,
        delta,
        finalAccuracy: privateRun.finalAccuracy,
        lastFiveAccuracy: lastFive(privateRun),
        versions: privateRun.versions,
        budgetSpent: privateRun.budgetSpent,
        clipNorm: clip,
        ...dp,
        epsilonPerVersion: privateRun.epsilons,
      },
      nonPrivate: {
        finalAccuracy: headline.finalAccuracy,
        lastFiveAccuracy: lastFive(headline),
        versions: headline.versions,
      },
      compression: headline.label.startsWith("dense") ? { density: 1, bits: 32 } : { density, bits },
      devices,
      seconds: Math.round((performance.now() - started) / 1000),
    }),
  );
} else if (opts.json) {
  const { points: _points, label: _label, ...summary } = headline;
  const denseSummary = dense
    ? { finalAccuracy: dense.finalAccuracy, bytesUploaded: dense.bytesUploaded, versions: dense.versions }
    : null;
  console.log(
    JSON.stringify({
      centralizedAccuracy,
      ...summary,
      compression: opts.only === "dense" ? { density: 1, bits: 32 } : { density, bits },
      dense: denseSummary,
      devices,
      seconds: Math.round((performance.now() - started) / 1000),
    }),
  );
}
