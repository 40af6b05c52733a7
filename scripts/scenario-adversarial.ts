/**
 * `npm run scenario:adversarial`: the federated spam filter of `npm run simulate` with a
 * fifth of the fleet adversarial — sign-flip, scaled ×10, Gaussian noise, two kinds of
 * free rider and a Sybil group — run four times against fedge in workerd: clean with the
 * defences on, attacked with them on, attacked with them off, and the honest devices alone
 * (what perfect defences could reach). It reports the accuracy of each and how well the
 * cluster's detectors (shared/trust) told the adversaries apart, from the admin's view of
 * each cluster's members. `--help` lists the options.
 */
import { parseArgs } from "node:util";
import { denseF32Encoder } from "../sdk/core/encoder";
import { splitTrainTest } from "../sdk/spam/dataset";
import { loadSpamAssassin } from "../sdk/spam/dataset.node.js";
import { featurize } from "../sdk/spam/features";
import type { SpamModel } from "../sdk/spam/model";
import { partitionByLabel } from "../sdk/spam/partition";
import { seededRandom } from "../sdk/spam/random";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import { intOption } from "./cli";
import { ATTACK_KINDS, attackTrainer, SybilGroup } from "./scenario/attacks";
import { type Detection, detectorsIn, readTrust, summarize, type TrustStatus } from "./scenario/detection";
import { parseRobust, type Robust, robustName } from "./scenario/robust-option";
import { type Role, roster } from "./scenario/roster";
import { type RunOptions, type RunResult, runFederated, splitShard } from "./simulate/run";

const HELP = `usage: npm run scenario:adversarial [-- options]

Trains the federated spam filter (as npm run simulate does, dense f32) four times against
fedge in workerd: clean with the defences on; with adversarial devices and the defences on
(gaming detection, reputation, quarantine, a robust aggregator at each cluster); with the
same adversaries and the defences off (no detection, the weighted mean); and with the
honest devices alone, the adversaries and their data absent — the most defences that
removed exactly the adversaries could reach. Prints accuracy, detection recall and
false-positive rate.

  --devices N            virtual devices (default 100)
  --versions N           train until the model reaches this version (default 30)
  --adversarial F        share of adversarial devices, 0 ≤ F < 0.5 (default 0.2)
  --sybils N             size of the Sybil group, at most half the adversaries (default 10)
  --sybils-per-cluster N Sybils registered together, so sharing a cluster (default 2)
  --robust SPEC          the defended runs' cluster aggregator: mean | median |
                         trimmed-mean:BETA | krum:F | multi-krum:F:M | bulyan:F
                         (default ${robustName(defaultRobust())})
  --flush-seconds S      clusters seal a batch at most S s after its first update (default
                         0.3, as npm run simulate); longer batches give the detectors and
                         the robust aggregator more updates to compare
  --quick                a short smoke run: 50 devices, 8 versions
  --seed N               seeds the shards, the fleet, training and the attacks (default 1)
  --json                 print one JSON object as the last line`;

/** Why the median: docs/architecture.md#the-adversarial-scenario. */
function defaultRobust(): Robust {
  return { kind: "median" };
}

const { values: opts } = parseArgs({
  options: {
    devices: { type: "string" },
    versions: { type: "string" },
    adversarial: { type: "string", default: "0.2" },
    sybils: { type: "string", default: "10" },
    "sybils-per-cluster": { type: "string", default: "2" },
    robust: { type: "string" },
    "flush-seconds": { type: "string", default: "0.3" },
    quick: { type: "boolean" },
    seed: { type: "string", default: "1" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  },
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
function fail(message: string): never {
  console.error(`scenario:adversarial: ${message}\n\n${HELP}`);
  process.exit(2);
}
function int(name: keyof typeof opts, fallback: number, min: number): number {
  const raw = opts[name] as string | undefined;
  return raw === undefined ? fallback : intOption(name, raw, min, fail);
}
const devices = int("devices", opts.quick ? 50 : 100, 10);
const targetVersions = int("versions", opts.quick ? 8 : 30, 1);
const seed = int("seed", 1, 0);
const sybilGroup = int("sybils", 10, 0);
const sybilsPerCluster = int("sybils-per-cluster", 2, 1);
const adversarial = Number(opts.adversarial);
if (!(adversarial >= 0 && adversarial < 0.5))
  fail(`--adversarial must be in [0, 0.5), got "${opts.adversarial}"`);
const flushSeconds = Number(opts["flush-seconds"]);
if (!(flushSeconds >= 0.1 && flushSeconds <= 60))
  fail(`--flush-seconds must be in [0.1, 60], got "${opts["flush-seconds"]}"`);
let robust: Robust;
try {
  robust = opts.robust === undefined ? defaultRobust() : parseRobust(opts.robust);
} catch (error) {
  fail(`--robust: ${(error as Error).message}`);
}

const CLUSTER_SIZE = 10;
const buckets = 1 << 16;
const model: SpamModel = { kind: "logistic", buckets };
const say = (line: string) => (opts.json ? process.stderr.write(`${line}\n`) : console.log(line));
const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const started = performance.now();

/** The defences of the defended runs: detection, reputation and quarantine, and `robust` at each cluster. */
const TRUST: NonNullable<TaskConfigInput["trust"]> = {
  detect: true,
  minMsPerExample: 0,
  reputationHalfLifeHours: 24,
  quarantineBelow: 0.3,
  quarantineMinutes: 60,
};

// The fixed 80/20 split and label-skewed shards (Dirichlet α = 0.5), as npm run simulate has them.
const split = splitTrainTest(loadSpamAssassin());
const shards = partitionByLabel(
  split.train.map((m) => featurize(m, buckets)),
  { clients: devices, seed, alpha: 0.5 },
);
const test = split.test.map((m) => featurize(m, buckets));
/** The part of shard i a device trains on (run.ts keeps a fifth back for evaluation). */
const trainingPart = (i: number) => splitShard(shards[i] ?? []).train;

const roles = roster({
  devices,
  clusterSize: CLUSTER_SIZE,
  adversarial,
  sybils: sybilGroup,
  sybilsPerCluster,
});
const counts = Object.fromEntries(ATTACK_KINDS.map((k) => [k, roles.filter((r) => r === k).length]));
const adversaries = roles.filter((r) => r !== "honest").length;
say(
  `${devices} devices in clusters of ${CLUSTER_SIZE}, ${adversaries} adversarial: ${Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ")}`,
);
say(`cluster layout (h honest; S sybil, F sign-flip, X scaled, N noise, Z zero, R replay): ${layout(roles)}`);

interface Scenario {
  name: string;
  label: string;
  attacked: boolean;
  defended: boolean;
  /** Only the honest devices take part: the adversaries, and their data, are absent. */
  honestOnly?: boolean;
}
const SCENARIOS: Scenario[] = [
  { name: "clean", label: "clean, defences on", attacked: false, defended: true },
  { name: "attacked", label: "attacked, defences on", attacked: true, defended: true },
  { name: "undefended", label: "attacked, defences off", attacked: true, defended: false },
  // What perfect defences could reach: the adversaries' updates gone, and with them their data.
  { name: "honest-only", label: "honest devices alone", attacked: false, defended: true, honestOnly: true },
];
/** The devices (indices into the roster) of a scenario's fleet. */
const fleetOf = (scenario: Scenario) =>
  roles.flatMap((r, i) => (scenario.honestOnly && r !== "honest" ? [] : [i]));

const common: Omit<RunOptions, "label"> = {
  model,
  shards,
  test,
  seed,
  targetVersions,
  bufferSize: 20,
  maxStaleness: 20,
  pOffline: 0.15,
  compression: { density: 1, bits: 32 },
  encoder: () => denseF32Encoder,
  say,
  outdir: ".wrangler/scenario-adversarial",
};

const results = new Map<string, { run: RunResult; detection: Detection; status: TrustStatus }>();
for (const scenario of SCENARIOS) {
  const sybilDevices = roles.flatMap((r, i) => (r === "sybil" ? [i] : []));
  const sybils = new SybilGroup(
    model,
    sybilDevices.flatMap(trainingPart),
    trainingPart(sybilDevices[0] ?? 0),
    seed * 104_729,
  );
  const fleet = fleetOf(scenario);
  const scenarioRoles: Role[] = fleet.map((i) => (scenario.attacked ? roles[i]! : "honest"));
  let trust: { detection: Detection; status: TrustStatus } | undefined;
  const run = await runFederated({
    ...common,
    shards: fleet.map((i) => shards[i]!),
    label: scenario.label,
    taskConfig: (config) => ({
      ...config,
      aggregation: {
        mode: "async",
        bufferSize: common.bufferSize,
        flushSeconds,
        robust: scenario.defended ? robust : { kind: "mean" },
      },
      trust: scenario.defended ? TRUST : { ...TRUST, detect: false },
      clusters: { targetSize: CLUSTER_SIZE },
    }),
    // An attacker reports a charging battery: it is never told to wait, so it attacks every round it can.
    ignoresBattery: (i) => scenarioRoles[i] !== "honest",
    trainer: (k, honest) => {
      const role = scenarioRoles[k]!;
      if (role === "honest") return honest;
      const i = fleet[k]!;
      return attackTrainer(role, {
        honest,
        examples: trainingPart(i).length,
        random: seededRandom(seed * 7_919 + 1_000_003 * (i + 1)),
        sybils,
      });
    },
    inspect: async (service, registrations) => {
      registrations.forEach((r, i) => {
        if (r.cluster !== Math.floor(i / CLUSTER_SIZE)) {
          throw new Error(
            `device ${i} registered in cluster ${r.cluster}, not ${Math.floor(i / CLUSTER_SIZE)}`,
          );
        }
      });
      // The last uploads' batches are judged when they seal, within flushSeconds.
      await new Promise((r) => setTimeout(r, 1_000 + 1_000 * flushSeconds));
      const { members, status } = await readTrust(service, "spam");
      trust = { detection: summarize(scenarioRoles, registrations, members), status };
    },
  });
  if (!trust) throw new Error(`${scenario.name}: the run ended before its trust views were read`);
  results.set(scenario.name, { run, ...trust });
  say(`${scenario.label}: test accuracy ${percent(run.finalAccuracy)} at version ${run.versions}`);
}

const clean = results.get("clean")!;
const attacked = results.get("attacked")!;
const undefended = results.get("undefended")!;
const honestOnly = results.get("honest-only")!;
const found = attacked.detection;
const cleanFound = clean.detection;

/** The mean test accuracy of the last five versions: the final one alone swings by points under attack. */
const lastFive = (r: RunResult) => {
  const tail = r.points.slice(-5);
  return tail.reduce((sum, p) => sum + p.accuracy, 0) / tail.length;
};

say("");
say(
  "| run                    | final test accuracy | last 5 versions | adversaries detected | honest devices flagged | quarantined at the end (honest) |",
);
say(
  "| ---------------------- | ------------------- | --------------- | -------------------- | ---------------------- | ------------------------------- |",
);
const row = (label: string, r: RunResult, d: Detection | null, adversarial: boolean) =>
  say(
    `| ${[
      label.padEnd(22),
      percent(r.finalAccuracy).padEnd(19),
      percent(lastFive(r)).padEnd(15),
      (d && adversarial ? percent(d.recall) : "—").padEnd(20),
      (d ? percent(d.falsePositiveRate) : "—").padEnd(22),
      (d ? `${d.quarantined} (${d.quarantinedHonest})` : "—").padEnd(31),
    ].join(" | ")} |`,
  );
row("clean, defences on", clean.run, cleanFound, false);
row("attacked, defences on", attacked.run, found, true);
row("attacked, defences off", undefended.run, null, true);
row("honest devices alone", honestOnly.run, null, false);
say("");
say("| attack kind       | devices | judged | detected | last flagged by                                  |");
say("| ----------------- | ------- | ------ | -------- | ------------------------------------------------ |");
for (const [kind, k] of Object.entries(found.byKind)) {
  const by = Object.entries(found.lastFlaggedBy[kind as Role] ?? {})
    .map(([detector, n]) => `${detector} ${n}`)
    .join(", ");
  say(
    `| ${kind.padEnd(17)} | ${String(k.devices).padEnd(7)} | ${String(k.judged).padEnd(6)} | ${String(k.detected).padEnd(8)} | ${by.padEnd(48)} |`,
  );
}
const judgedAdversaries = Object.values(found.byKind).reduce((n, k) => n + k.judged, 0);
say(
  `${judgedAdversaries} of ${adversaries} adversaries had an update judged; recall among them ${percent(found.recallOfJudged)}`,
);
say("");
for (const [name, r] of results) {
  const b = r.status.clusterBatches;
  say(
    `${name}: detections by kind ${JSON.stringify(r.status.gaming)}; ${r.status.quarantines} quarantines; ${b ? `${b.batches} cluster batches of ${b.meanUpdates?.toFixed(1)} updates on average` : "no cluster batches"}`,
  );
}
for (const [name, d] of [
  ["clean", cleanFound],
  ["attacked", found],
] as const) {
  say(
    `${name}: ${d.falsePositives.length} honest devices flagged, last by ${JSON.stringify(d.lastFlaggedBy.honest ?? {})}`,
  );
  // Up to three examples per detector, so that a rare misfire is shown beside the common one.
  const shown = new Map<string, number>();
  for (const fp of d.falsePositives) {
    const detectors = detectorsIn(fp.lastDetection);
    if (detectors.every((k) => (shown.get(k) ?? 0) >= 3)) continue;
    for (const k of detectors) shown.set(k, (shown.get(k) ?? 0) + 1);
    say(`  e.g. ${fp.device} (${fp.detections}×): ${fp.lastDetection}`);
  }
}

const targets = {
  accuracyWithin2Points: clean.run.finalAccuracy - attacked.run.finalAccuracy <= 0.02,
  recallAtLeast95: found.recall >= 0.95,
  falsePositiveRateAtMost2: found.falsePositiveRate <= 0.02,
  undefendedWorse: undefended.run.finalAccuracy < attacked.run.finalAccuracy,
};
say(`targets: ${JSON.stringify(targets)}`);

if (opts.json) {
  console.log(
    JSON.stringify({
      cleanAccuracy: clean.run.finalAccuracy,
      attackedAccuracy: attacked.run.finalAccuracy,
      undefendedAccuracy: undefended.run.finalAccuracy,
      honestOnlyAccuracy: honestOnly.run.finalAccuracy,
      recall: found.recall,
      recallOfJudged: found.recallOfJudged,
      falsePositiveRate: found.falsePositiveRate,
      byKind: found.byKind,
      lastFlaggedBy: found.lastFlaggedBy,
      quarantined: found.quarantined,
      quarantinedHonest: found.quarantinedHonest,
      cleanFalsePositiveRate: cleanFound.falsePositiveRate,
      status: Object.fromEntries([...results].map(([name, r]) => [name, r.status])),
      meanReputation: found.meanReputation,
      targets,
      lastFiveVersionsAccuracy: {
        clean: lastFive(clean.run),
        attacked: lastFive(attacked.run),
        undefended: lastFive(undefended.run),
        honestOnly: lastFive(honestOnly.run),
      },
      versions: {
        clean: clean.run.versions,
        attacked: attacked.run.versions,
        undefended: undefended.run.versions,
        honestOnly: honestOnly.run.versions,
      },
      rejected: {
        clean: clean.run.rejected,
        attacked: attacked.run.rejected,
        undefended: undefended.run.rejected,
        honestOnly: honestOnly.run.rejected,
      },
      robust,
      flushSeconds,
      trust: TRUST,
      devices,
      adversaries,
      seed,
      seconds: Math.round((performance.now() - started) / 1000),
    }),
  );
}

/** One letter per device, a space between clusters. */
function layout(rs: readonly Role[]): string {
  const letter: Record<Role, string> = {
    honest: "h",
    sybil: "S",
    "sign-flip": "F",
    scaled: "X",
    noise: "N",
    "free-rider-zero": "Z",
    "free-rider-replay": "R",
  };
  const out: string[] = [];
  for (let c = 0; c < rs.length; c += CLUSTER_SIZE)
    out.push(
      rs
        .slice(c, c + CLUSTER_SIZE)
        .map((r) => letter[r])
        .join(""),
    );
  return out.join(" ");
}
