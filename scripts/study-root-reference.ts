/**
 * `npm run study:root-reference`: would a reference the server trusts — FLTrust's root
 * dataset (Cao, Fang, Liu & Gong, NDSS 2021) — tell the adversarial scenario's sign-flipped
 * devices from honest ones? Offline, on the scenario's shards: the model follows
 * synchronous FedAvg over 20 honest devices per version (the service's asynchronous path
 * is not needed to see how directions relate); at each version the server's root update g₀
 * (the same local training on a random sample of the training split) is compared by cosine
 * with every device's honest update Δᵢ. A sign-flipped device sends −Δᵢ, so its cosine is
 * −cos(Δᵢ, g₀): the test separates it only where honest cosines are positive. `--help`
 * lists the options.
 */
import { splitTrainTest } from "../sdk/spam/dataset";
import { loadSpamAssassin } from "../sdk/spam/dataset.node.js";
import { featurize } from "../sdk/spam/features";
import { network, type SpamModel } from "../sdk/spam/model";
import { partitionByLabel } from "../sdk/spam/partition";
import { seededRandom, shuffle } from "../sdk/spam/random";
import { DEFAULT_TRAIN_OPTIONS, spamTrainer } from "../sdk/spam/trainer";
import { cosine } from "../shared/trust/vectors";
import { intOption, parseOptions, usageExit } from "./cli";
import { roster } from "./scenario/roster";
import { splitShard } from "./simulate/run";

const HELP = `usage: npm run study:root-reference [-- options]

For the adversarial scenario's fleet (100 devices, label-skewed shards, Dirichlet α = 0.5;
the roster of npm run scenario:adversarial), trains the logistic spam model by synchronous
FedAvg over 20 honest devices per version and, at each version, compares every device's
honest update with the update of a root dataset the server would hold (FLTrust): cosines
of honest updates, and of the sign-flipped devices' updates (−Δ).

  --seed N        the shards' seed, as scenario:adversarial --seed (default 1)
  --root LIST     root dataset sizes, drawn from the training split (default 100,300,1000)
  --versions N    versions (default 30)
  --json          print one JSON object as the last line`;

const usage = usageExit("study:root-reference", HELP);
const opts = parseOptions(
  {
    seed: { type: "string", default: "1" },
    root: { type: "string", default: "100,300,1000" },
    versions: { type: "string", default: "30" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  },
  usage,
);
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const seed = intOption("seed", opts.seed, 0, usage);
const versions = intOption("versions", opts.versions, 1, usage);
const rootSizes = String(opts.root)
  .split(",")
  .map((s) => intOption("root", s.trim(), 1, usage));
const say = (line: string) => (opts.json ? process.stderr.write(`${line}\n`) : console.log(line));

const DEVICES = 100;
const PER_VERSION = 20;
const model: SpamModel = { kind: "logistic", buckets: 1 << 16 };
const training = DEFAULT_TRAIN_OPTIONS.logistic;
const train = splitTrainTest(loadSpamAssassin()).train.map((m) => featurize(m, model.buckets));
const shards = partitionByLabel(train, { clients: DEVICES, seed, alpha: 0.5 });
const roles = roster({
  devices: DEVICES,
  clusterSize: 10,
  adversarial: 0.2,
  sybils: 10,
  sybilsPerCluster: 2,
});
const honest = roles.flatMap((r, i) => (r === "honest" ? [i] : []));
const flipped = roles.flatMap((r, i) => (r === "sign-flip" ? [i] : []));
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Means of every `k` consecutive values. */
const windows = (xs: readonly number[], k: number) =>
  xs.length < k ? [] : xs.slice(k - 1).map((_, j) => mean(xs.slice(j, j + k)));

interface Result {
  root: number;
  honest: {
    negativeShare: number;
    minSingle: number;
    minMeanOf5: number;
    minDeviceMean: number;
  };
  signFlip: { device: number; meanCosine: number; maxCosine: number; belowEveryHonestMean: boolean }[];
}

const results: Result[] = rootSizes.map((size) => {
  const order = Array.from({ length: train.length }, (_, i) => i);
  shuffle(order, seededRandom(seed * 31_337 + size));
  const root = spamTrainer({ model, train: order.slice(0, size).map((i) => train[i]!), seed: seed + 17 });
  const devices = Array.from({ length: DEVICES }, (_, i) =>
    spamTrainer({ model, train: splitShard(shards[i]!).train, seed: seed * 1000 + i }),
  );
  const pick = seededRandom(seed * 7_919 + 3);
  const cosines: number[][] = Array.from({ length: DEVICES }, () => []);
  let weights = new Float32Array(network(model).parameters);
  for (let v = 0; v < versions; v++) {
    const g0 = root.train(weights, training).update;
    const updates = devices.map((d) => d.train(weights, training));
    for (const [i, u] of updates.entries()) cosines[i]!.push(cosine(u.update, g0));
    const chosen = shuffle([...honest], pick).slice(0, PER_VERSION);
    const total = chosen.reduce((s, i) => s + updates[i]!.examples, 0);
    const next = weights.slice();
    for (const i of chosen) {
      const { update, examples } = updates[i]!;
      for (let j = 0; j < next.length; j++) next[j]! += (examples / total) * update[j]!;
    }
    weights = next;
  }
  const singles = honest.flatMap((i) => cosines[i]!);
  const deviceMeans = honest.map((i) => mean(cosines[i]!));
  const minDeviceMean = Math.min(...deviceMeans);
  return {
    root: size,
    honest: {
      negativeShare: singles.filter((c) => c < 0).length / singles.length,
      minSingle: Math.min(...singles),
      minMeanOf5: Math.min(...honest.flatMap((i) => windows(cosines[i]!, 5))),
      minDeviceMean,
    },
    signFlip: flipped.map((i) => {
      const sent = cosines[i]!.map((c) => -c);
      return {
        device: i,
        meanCosine: mean(sent),
        maxCosine: Math.max(...sent),
        belowEveryHonestMean: mean(sent) < minDeviceMean,
      };
    }),
  };
});

const f = (x: number) => x.toFixed(3);
say(`seed ${seed}: ${versions} versions; cosines with the root update g₀ at each version`);
say(
  "| root examples | honest: share < 0 | lowest single | lowest mean of 5 | lowest device mean | sign-flips (−Δ): mean cosine, highest single |",
);
say(
  "| ------------- | ----------------- | ------------- | ---------------- | ------------------ | ------------------------------------------- |",
);
for (const r of results) {
  const flips = r.signFlip
    .map(
      (s) =>
        `#${s.device}: ${f(s.meanCosine)}, ${f(s.maxCosine)}${s.belowEveryHonestMean ? " (below every honest mean)" : ""}`,
    )
    .join("; ");
  say(
    `| ${String(r.root).padEnd(13)} | ${f(r.honest.negativeShare).padEnd(17)} | ${f(r.honest.minSingle).padEnd(13)} | ${f(r.honest.minMeanOf5).padEnd(16)} | ${f(r.honest.minDeviceMean).padEnd(18)} | ${flips} |`,
  );
}
if (opts.json) console.log(JSON.stringify({ seed, versions, results }));
