/**
 * `npm run simulate -- --bandwidth mixed`: the acceptance harness of adaptive compression
 * (issue 11). The same fleet, on heterogeneous simulated links, trains the spam filter with
 * the server choosing each device's level (compression.controller: linucb), at each fixed
 * level, and dense; time is simulated (bandwidth-run.ts, sim-clock.ts), and each run reports
 * when it first reached 97% of centralized accuracy, what it uploaded, and where it ended.
 */
import { writeFileSync } from "node:fs";
import { denseF32Encoder } from "../../sdk/core/encoder";
import { errorFeedbackEncoder } from "../../sdk/core/error-feedback-encoder";
import { seededRandom } from "../../sdk/spam/random";
import type { Usage } from "../cli";
import { runSimulated, type SimRunOptions, type SimRunResult, TaskRefused } from "./bandwidth-run";
import { plotBandwidthSvg } from "./plot";
import type { TrainingSetup } from "./run";
import { assignClasses, MIXED_CLASSES, timeToTarget } from "./sim-clock";

export type Level = { density: number; bits: 32 | 16 | 8 | 4 };

export const DEFAULT_LEVELS = "0.001:8,0.01:8,0.1:8,0.01:4";
/** The adaptive run's byte budget: at most 1/300 of dense f32's bytes on average (issue 11 asks for 250×). */
export const DEFAULT_BYTE_BUDGET = 300;

/** The adaptive run's task compression: issue 11's, with the controller's byte budget (null: none). */
export function adaptiveCompression(byteBudget: number | null) {
  return {
    density: 0.01,
    bits: 8,
    controller: { kind: "linucb", ...(byteBudget === null ? {} : { byteBudget: { ratio: byteBudget } }) },
  } as const;
}
/** Share of centralized accuracy that counts as reaching the target. */
export const TARGET_SHARE = 0.97;

export const BANDWIDTH_HELP = `  --bandwidth mixed    the adaptive-compression harness (issue 11): devices on simulated links
                       (10% at 100 kbit/s, 60% at 5 Mbit/s, 30% at 50 Mbit/s, dealt from --seed)
                       train once with the server choosing each device's level
                       (compression { density 0.01, bits 8, controller linucb with
                       byteBudget { ratio: --byte-budget } }), once per
                       --levels level, and once dense f32; each run reports the simulated time
                       at which a version first reached 97% of centralized accuracy, the bytes
                       it uploaded and its final accuracy. --plot draws accuracy against
                       simulated time beside the levels the adaptive run assigned per class.
                       The time model: every device has its own simulated clock; a request
                       reaches the service after RTT (400 / 100 / 30 ms by class) plus, for an
                       upload, bytes ÷ uplink (12,500 / 625,000 / 6,250,000 B/s); downloads
                       cost RTT only; training costs --compute-seconds × the check-in's
                       workScale; a "wait" (or a backoff) costs its seconds. Devices act one at
                       a time in order of simulated time; a version is stamped with the
                       simulated time at which the admin view first shows it, so it can lag by
                       the tiers' real-time flush waits (0.3 s each). No offline spells, full
                       batteries. The SDK measures RTT and uplink on this clock.
  --levels LIST        --bandwidth: fixed levels, density:bits,… (default ${DEFAULT_LEVELS})
  --compute-seconds S  --bandwidth: simulated seconds of local training per update (default 0.2)
  --poll-seconds S     --bandwidth: a device told to wait comes back after at most S simulated
                       seconds (default: after the answer's retryAfterSeconds, which the
                       service computes from its own, real, clock)
  --byte-budget R      --bandwidth: the adaptive run's controller keeps its mean upload at most
                       dense f32's bytes ÷ R (default ${DEFAULT_BYTE_BUDGET}; 0: no budget)
  --max-sim-seconds S  --bandwidth: stop a run that has not reached --versions by then (default 3600)`;

/** `0.001:8,0.01:4` → levels; a bad list is a usage error naming --levels. */
export function parseLevels(raw: string, usage: Usage): Level[] {
  const levels = raw.split(",").map((item) => {
    const [d, b, extra] = item.trim().split(":");
    const density = Number(d);
    const bits = Number(b);
    if (
      extra !== undefined ||
      !(density > 0 && density <= 1) ||
      (bits !== 32 && bits !== 16 && bits !== 8 && bits !== 4)
    )
      usage(`--levels must be density:bits pairs (0 < density ≤ 1, bits 32|16|8|4), got "${raw}"`);
    return { density, bits: bits as Level["bits"] };
  });
  return levels;
}

export interface BandwidthModeOptions extends TrainingSetup {
  levels: Level[];
  computeSeconds: number;
  pollSeconds: number | null;
  maxSimSeconds: number;
  /** The adaptive run's byteBudget ratio; null: none. */
  byteBudget: number | null;
  centralizedAccuracy: number;
  plot: string;
  json: boolean;
  say: (line: string) => void;
  started: number;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const seconds = (s: number | null) => (s === null ? "never" : `${s.toFixed(1)} s`);

export async function bandwidthMode(o: BandwidthModeOptions): Promise<void> {
  const classes = MIXED_CLASSES;
  const deviceClass = assignClasses(o.shards.length, classes, seededRandom(o.seed * 31 + 17));
  const targetAccuracy = TARGET_SHARE * o.centralizedAccuracy;
  o.say(
    `${o.shards.length} devices on simulated links: ${classes
      .map((c, i) => `${deviceClass.filter((x) => x === i).length} at ${c.name}`)
      .join(", ")}; target ${percent(targetAccuracy)} (97% of centralized ${percent(o.centralizedAccuracy)})`,
  );
  const common: Omit<SimRunOptions, "label" | "compression" | "encoder"> = {
    model: o.model,
    shards: o.shards,
    test: o.test,
    seed: o.seed,
    targetVersions: o.targetVersions,
    bufferSize: o.bufferSize,
    maxStaleness: o.maxStaleness,
    classes,
    deviceClass,
    computeSeconds: o.computeSeconds,
    pollSeconds: o.pollSeconds,
    maxSimSeconds: o.maxSimSeconds,
    say: o.say,
  };
  const label = (l: Level) => `fixed: top-${100 * l.density}% at ${l.bits} bits, error feedback`;

  // The service is built once, by the first run; the others serve that build.
  let built = false;
  const simulate = async (run: Pick<SimRunOptions, "label" | "compression" | "encoder">) => {
    const result = await runSimulated({ ...common, ...run, skipBuild: built }).finally(() => {
      built = true;
    });
    return result;
  };
  let adaptive: SimRunResult | null = null;
  let adaptiveError: string | null = null;
  try {
    adaptive = await simulate({
      label: `adaptive: linucb controller (from top-1% at 8 bits${o.byteBudget === null ? "" : `, byte budget 1/${o.byteBudget} of dense`}), error f.b.`,
      compression: adaptiveCompression(o.byteBudget),
      encoder: () => errorFeedbackEncoder(),
    });
  } catch (error) {
    if (!(error instanceof TaskRefused)) throw error;
    adaptiveError = error.message;
    o.say(`\nadaptive run not possible: ${error.message}`);
  }
  const fixed: { level: Level; run: SimRunResult }[] = [];
  for (const level of o.levels) {
    const run = await simulate({
      label: label(level),
      compression: level,
      encoder: () => errorFeedbackEncoder(),
    });
    fixed.push({ level, run });
  }
  const dense = await simulate({
    label: "dense f32",
    compression: { density: 1, bits: 32 },
    encoder: () => denseF32Encoder,
  });

  const all = [...(adaptive ? [adaptive] : []), ...fixed.map((f) => f.run), dense];
  const ttt = (r: SimRunResult) => timeToTarget(r.points, targetAccuracy);
  writeFileSync(
    o.plot,
    plotBandwidthSvg({
      title: `fedge: ${o.model.kind} on SpamAssassin, ${o.shards.length} devices on mixed links (simulated time)`,
      runs: all.map((r) => ({ label: r.label, points: r.points })),
      target: targetAccuracy,
      classes: classes.map((c) => c.name),
      levelsOf: adaptive ? adaptive.label : (fixed[0]?.run.label ?? dense.label),
      assignments: (adaptive ?? fixed[0]?.run ?? dense).assignments,
    }),
  );

  o.say("");
  o.say(
    `${"run".padEnd(66)}${"to target".padEnd(11)}${"final acc".padEnd(11)}${"uploaded".padEnd(12)}${"vs dense f32".padEnd(14)}${"updates".padEnd(9)}sim s`,
  );
  for (const r of all) {
    o.say(
      `${r.label.padEnd(66)}${seconds(ttt(r)).padEnd(11)}${percent(r.finalAccuracy).padEnd(11)}${`${(r.bytes / 1e6).toFixed(3)} MB`.padEnd(12)}${`${(r.denseBytesEquivalent / r.bytes).toFixed(1)}× less`.padEnd(14)}${String(r.updatesAccepted).padEnd(9)}${r.simSeconds.toFixed(1)}`,
    );
    o.say(
      `  per class (updates accepted / train answers, refused): ${classes
        .map((c, i) => {
          const k = r.perClass[i]!;
          const refused = Object.entries(k.rejected)
            .map(([code, n]) => `${code} ${n}`)
            .join(" ");
          return `${c.name} ${k.updates}/${k.trainAnswers}${refused ? `, ${refused}` : ""}`;
        })
        .join("; ")}`,
    );
    o.say(
      `  reported by the SDK (median per class): ${classes
        .map((c, i) => {
          const k = r.perClass[i]!;
          const kB =
            k.reportedUplinkBytesPerSecond === null ? "-" : (k.reportedUplinkBytesPerSecond / 1e3).toFixed(1);
          return `${c.name} uplink ${kB} kB/s, RTT ${k.reportedRttMs ?? "-"} ms`;
        })
        .join("; ")}`,
    );
    o.say(
      `  mean staleness ${r.meanStaleness.toFixed(2)}; device-seconds ${Object.entries(r.deviceSeconds)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(", ")}; rejected ${
        Object.entries(r.rejected)
          .map(([k, n]) => `${k}:${n}`)
          .join(" ") || "-"
      }`,
    );
  }
  const fixedTimes = fixed.map((f) => ttt(f.run)).filter((t): t is number => t !== null);
  const bestFixed = fixedTimes.length ? Math.min(...fixedTimes) : null;
  const adaptiveTime = adaptive ? ttt(adaptive) : null;
  const ratios = {
    bestFixedTimeOverAdaptive: bestFixed !== null && adaptiveTime ? bestFixed / adaptiveTime : null,
    denseBytesOverAdaptiveBytes: adaptive ? adaptive.denseBytesEquivalent / adaptive.bytes : null,
    adaptiveMinusDensePoints: adaptive ? 100 * (adaptive.finalAccuracy - dense.finalAccuracy) : null,
  };
  if (adaptive)
    o.say(
      `adaptive: best fixed time ÷ adaptive time ${ratios.bestFixedTimeOverAdaptive?.toFixed(2) ?? "n/a"} (target ≥ 2); dense f32 bytes of the same updates ÷ adaptive bytes ${ratios.denseBytesOverAdaptiveBytes?.toFixed(0)} (target ≥ 250); adaptive − dense ${ratios.adaptiveMinusDensePoints?.toFixed(2)} points (target ≥ −1)`,
    );
  o.say(`plot: ${o.plot}`);
  if (!o.json) return;
  const curve = (r: SimRunResult) =>
    r.points.map(({ version, seconds, accuracy, bytes }) => ({ version, seconds, accuracy, bytes }));
  const summary = (r: SimRunResult) => ({
    timeToTargetSec: ttt(r),
    bytes: r.bytes,
    bytesSent: r.bytesSent,
    denseBytesEquivalent: r.denseBytesEquivalent,
    finalAccuracy: r.finalAccuracy,
    versions: r.versions,
    updatesAccepted: r.updatesAccepted,
    simSeconds: r.simSeconds,
    perClass: r.perClass,
    deviceSeconds: r.deviceSeconds,
    curve: curve(r),
  });
  console.log(
    JSON.stringify({
      adaptive: adaptive ? summary(adaptive) : null,
      ...(adaptiveError ? { adaptiveError } : {}),
      fixed: fixed.map(({ level, run }) => ({ density: level.density, bits: level.bits, ...summary(run) })),
      dense: summary(dense),
      centralizedAccuracy: o.centralizedAccuracy,
      targetAccuracy,
      ratios,
      timeModel: {
        classes,
        computeSeconds: o.computeSeconds,
        waits: o.pollSeconds === null ? "retryAfterSeconds" : `min(retryAfterSeconds, ${o.pollSeconds})`,
        downloads: "RTT only",
        offline: "none",
        battery: "full, charging",
        flushSeconds: 0.3,
      },
      devices: o.shards.length,
      seconds: Math.round((performance.now() - o.started) / 1000),
    }),
  );
}
