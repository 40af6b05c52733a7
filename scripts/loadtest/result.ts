/** The figures of a run, in the JSON shape issue 9 asks for (plus context keys). */
import type { LoadtestOptions } from "./options";
import { type PhaseResult, perSec } from "./phase";
import type { RunResult } from "./run";
import { jainIndex, type Percentiles, type PhaseRecorder, percentiles, round } from "./stats";

export interface LoadtestReport {
  bareCeilingPerSec: number;
  acceptedPerSec: number;
  ratio: number;
  cpuMsPerAccepted: number | null;
  latencyMs: { checkin: Percentiles | null; upload: Percentiles | null };
  halfLoad: {
    offeredPerSec: number;
    p99Ms: number | null;
    acceptedPerSec: number;
    skippedArrivals: PhaseRecorder["skipped"];
    checkinAnswers: Record<string, number>;
  };
  overload: {
    factor: number;
    offeredPerSec: number;
    acceptedPerSec: number;
    acceptedP99Ms: number | null;
    shed: { byReason: Record<string, number> };
    status5xx: number;
    sentPerSec: number;
    skippedArrivals: PhaseRecorder["skipped"];
    errors: Record<string, number>;
    networkErrors: number;
    checkinAnswers: Record<string, number>;
    acceptedPerDevice: { mean: number; min: number; max: number };
    unfinishedRequests: number;
    seconds: number;
  };
  jainFairness: number | null;
  greedyShare: number | null;
  ackedUpdates: number;
  countedUpdates: number;
  lostAcked: number;
  storageBytesPerAccepted: number | null;
  /** SQLite rows fedge's Durable Objects wrote per 202 at saturation (what Cloudflare bills): in all, and by tier. */
  storageRowsPerAccepted: number | null;
  storageRowsByTier: Record<string, number> | null;
  // Context.
  frameBytes: number;
  bareCpuMsPerRequest: number | null;
  bareStorageBytesPerRequest: number | null;
  checkinsPerAccepted: number | null;
  rounds: {
    fedgePerSec: number;
    barePerSec: number;
    fedgeCpuMsPerAccepted: number | null;
    checkinAnswers: Record<string, number>;
    errors: Record<string, number>;
  }[];
  reconciliation: RunResult["reconciliation"] & { unsettledAtEnd: number };
  machine: {
    clientCpuPercent: number;
    otherCpuPercentMax: number;
    otherServiceCpuPercentMax: number;
    settleMsMax: number;
  };
  stress: RunResult["stress"] | null;
  config: {
    devices: number;
    connections: number;
    rate: number | null;
    durationS: number;
    rounds: number;
    params: number;
    density: number;
    bits: number;
    regions: number;
    bufferSize: number;
    overloadFactor: number;
    greedyFactor: number;
    stress: string | null;
    seed: number;
    quick: boolean;
  };
  versions: number;
  seconds: number;
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const ratioOf = (a: number, b: number, digits: number) => (b > 0 ? round(a / b, digits) : null);

export function report(o: LoadtestOptions, r: RunResult, seconds: number): LoadtestReport {
  const fedge = r.saturation.map((s) => s.fedge);
  const bare = r.saturation.map((s) => s.bare);
  // Rates over every round's windows together; costs over every 202 the rounds caused.
  const acceptedPerSec =
    sum(fedge.map((p) => p.rec.acceptedInWindow)) / sum(fedge.map((p) => p.windowMs / 1000));
  const bareCeilingPerSec =
    sum(bare.map((p) => p.rec.acceptedInWindow)) / sum(bare.map((p) => p.windowMs / 1000));
  const accepted = sum(fedge.map((p) => p.rec.accepted));
  const bareAccepted = sum(bare.map((p) => p.rec.accepted));
  const over = r.overload;
  const others = Array.from(over.rec.acceptedByDevice).filter((_, i) => i !== over.greedyDevice);
  const othersMean = sum(others) / others.length;
  const phases = [...fedge, ...bare, r.halfLoad, over];
  const rec = r.reconciliation;
  return {
    bareCeilingPerSec: round(bareCeilingPerSec, 1),
    acceptedPerSec: round(acceptedPerSec, 1),
    ratio: ratioOf(acceptedPerSec, bareCeilingPerSec, 3) ?? 0,
    cpuMsPerAccepted: ratioOf(sum(fedge.map((p) => p.usage.cpuMs)), accepted, 2),
    latencyMs: {
      checkin: percentiles(fedge.flatMap((p) => p.rec.latencies.checkin)),
      upload: percentiles(fedge.flatMap((p) => p.rec.latencies.upload)),
    },
    halfLoad: {
      offeredPerSec: round(r.halfLoad.offeredPerSec, 1),
      p99Ms: percentiles(r.halfLoad.rec.latencies.upload)?.p99 ?? null,
      acceptedPerSec: round(perSec(r.halfLoad), 1),
      skippedArrivals: r.halfLoad.rec.skipped,
      checkinAnswers: r.halfLoad.rec.checkinAnswers,
    },
    overload: {
      factor: o.overload,
      offeredPerSec: round(over.offeredPerSec, 1),
      acceptedPerSec: round(perSec(over), 1),
      acceptedP99Ms: percentiles(over.rec.acceptedLatencies)?.p99 ?? null,
      shed: { byReason: over.rec.shed },
      status5xx: over.rec.status5xx,
      sentPerSec: round(over.rec.launched / (over.windowMs / 1000), 1),
      skippedArrivals: over.rec.skipped,
      errors: over.rec.errors,
      networkErrors: over.rec.networkErrors,
      checkinAnswers: over.rec.checkinAnswers,
      acceptedPerDevice: { mean: round(othersMean, 2), min: Math.min(...others), max: Math.max(...others) },
      unfinishedRequests: over.unfinished,
      seconds: round(over.windowMs / 1000, 1),
    },
    jainFairness: ((j) => (j === null ? null : round(j, 4)))(jainIndex(others)),
    greedyShare: othersMean > 0 ? round(over.rec.acceptedByDevice[over.greedyDevice]! / othersMean, 2) : null,
    ackedUpdates: rec.ackedUpdates,
    countedUpdates: rec.countedUpdates,
    lostAcked: rec.lostAcked,
    storageBytesPerAccepted: ratioOf(sum(fedge.map((p) => p.usage.writeBytes)), accepted, 0),
    ...rowsPerAccepted(fedge, accepted),
    frameBytes: r.frameBytes,
    bareCpuMsPerRequest: ratioOf(sum(bare.map((p) => p.usage.cpuMs)), bareAccepted, 2),
    bareStorageBytesPerRequest: ratioOf(sum(bare.map((p) => p.usage.writeBytes)), bareAccepted, 0),
    checkinsPerAccepted: ratioOf(sum(fedge.map((p) => p.rec.latencies.checkin.length)), accepted, 2),
    rounds: r.saturation.map((s) => ({
      fedgePerSec: round(perSec(s.fedge), 1),
      barePerSec: round(perSec(s.bare), 1),
      fedgeCpuMsPerAccepted: ratioOf(s.fedge.usage.cpuMs, s.fedge.rec.accepted, 2),
      checkinAnswers: s.fedge.rec.checkinAnswers,
      errors: { ...s.fedge.rec.errors, ...s.fedge.rec.shed },
    })),
    reconciliation: { ...rec, unsettledAtEnd: r.drain.unsettled },
    machine: {
      clientCpuPercent: Math.max(...phases.map((p) => p.clientCpuPercent)),
      otherCpuPercentMax: Math.max(...phases.map((p) => p.otherCpuPercent)),
      otherServiceCpuPercentMax: Math.max(...phases.map((p) => p.otherServiceCpuPercent)),
      settleMsMax: Math.max(...phases.map((p) => p.settleMs)),
    },
    stress: r.stress ?? null,
    config: {
      devices: o.devices,
      connections: o.connections,
      rate: o.rate ?? null,
      durationS: o.durationMs / 1000,
      rounds: o.rounds,
      params: o.params,
      density: o.density,
      bits: o.bits,
      regions: o.regions,
      bufferSize: o.buffer,
      overloadFactor: o.overload,
      greedyFactor: o.greedyFactor,
      stress: o.stress ?? null,
      seed: o.seed,
      quick: o.quick,
    },
    versions: r.versions,
    seconds,
  };
}

/** Rows written per 202 over the saturation phases, in all and by tier; null if a phase could not count them. */
function rowsPerAccepted(
  phases: PhaseResult[],
  accepted: number,
): Pick<LoadtestReport, "storageRowsPerAccepted" | "storageRowsByTier"> {
  const byTier: Record<string, number> = {};
  for (const p of phases) {
    if (!p.rows) return { storageRowsPerAccepted: null, storageRowsByTier: null };
    for (const [tier, n] of Object.entries(p.rows)) byTier[tier] = (byTier[tier] ?? 0) + n;
  }
  return {
    storageRowsPerAccepted: ratioOf(sum(Object.values(byTier)), accepted, 2),
    storageRowsByTier: Object.fromEntries(
      Object.entries(byTier).map(([tier, n]) => [tier, ratioOf(n, accepted, 2) ?? 0]),
    ),
  };
}
