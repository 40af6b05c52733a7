/**
 * The load test, start to finish: services and task, devices, warm-up, alternating
 * saturation rounds (fedge, then the bare ceiling), half load, overload with a greedy
 * device, settling every update still held, and the reconciliation. Returns the raw
 * phases; ./result.ts turns them into the report's figures.
 */
import { bareLoop, closedLoop, drainPending, openLoop } from "./drive";
import { type Device, Fleet, registerDevices } from "./fleet";
import { FramePool } from "./frames";
import type { LoadtestOptions } from "./options";
import { measure, type PhaseResult, type PhaseSetup, perSec } from "./phase";
import { type ProfileSummary, startProfile } from "./profile";
import { countBar, phaseBar } from "./progress";
import { type Reconciliation, reconcile } from "./reconcile";
import { type Services, startServices } from "./services";
import { PhaseRecorder } from "./stats";
import { Evictor, faultsFor, injected, restartAfter, type StressReport } from "./stress";
import { createTask, FLUSH_SECONDS, pickRegions, TASK, watchVersion } from "./task";

export interface RunResult {
  frameBytes: number;
  saturation: { fedge: PhaseResult; bare: PhaseResult }[];
  halfLoad: PhaseResult & { offeredPerSec: number };
  overload: PhaseResult & { offeredPerSec: number; greedyDevice: number; unfinished: number };
  drain: { unsettled: number };
  reconciliation: Reconciliation;
  stress: StressReport | undefined;
  versions: number;
}

export interface Ui {
  say(line: string): void;
}

/** Everything the phases share. */
interface Run {
  o: LoadtestOptions;
  ui: Ui;
  services: Services;
  fleet: Fleet;
  frames: FramePool;
  /** Which bare-ceiling Durable Object a device's body goes to: its fedge cluster's index. */
  shardOf: (d: Device) => number;
  evictor: Evictor | null;
  downtimes: number[];
}

export async function runLoadtest(o: LoadtestOptions, ui: Ui, project = "."): Promise<RunResult> {
  const services = await startServices(faultsFor(o.stress, o.slowParentMs), project, o.profile !== undefined);
  try {
    return await run(o, ui, services);
  } finally {
    await services.dispose();
  }
}

async function run(o: LoadtestOptions, ui: Ui, services: Services): Promise<RunResult> {
  const layoutHash = await createTask(services.fedge, services.adminToken, o);
  const regions = pickRegions(o.regions);
  ui.say(`registering ${o.devices} devices in ${regions.join(", ")}…`);
  const devices = await registerDevices(services.fedge, {
    task: TASK,
    devices: o.devices,
    regions,
    connections: o.connections,
    seed: o.seed,
    onProgress: countBar(o.devices, "devices registered"),
  });
  const frames = new FramePool({ ...o, parameters: o.params, layoutHash });
  const clusters = [...new Set(devices.map((d) => `${d.region}/${d.cluster}`))];
  const r: Run = {
    o,
    ui,
    services,
    fleet: new Fleet(TASK, devices, frames, services.fedge),
    frames,
    shardOf: (d) => clusters.indexOf(`${d.region}/${d.cluster}`),
    evictor: o.stress === "evict" ? new Evictor(services, TASK, devices, o.seed) : null,
    downtimes: [],
  };
  const stopWatching = watchVersion(r.fleet, services.fedge, services.adminToken);
  try {
    await warmUp(r);
    const saturation = await saturate(r);
    const maxPerSec = mean(saturation.map((s) => perSec(s.fedge)));
    r.evictor?.start();
    const halfLoad = await halfLoadPhase(r, maxPerSec);
    const overload = await overloadPhase(r, maxPerSec);
    await r.evictor?.stop();
    ui.say("settling every update still held, then reconciling…");
    const unsettled = await drainPending(r.fleet, new PhaseRecorder(o.devices, performance.now()), {
      connections: o.connections,
      timeoutMs: 45_000,
    });
    stopWatching();
    const reconciliation = await reconcile(services.fedge, {
      task: TASK,
      adminToken: services.adminToken,
      acked: r.fleet.acked.size,
      quietMs: Math.max(3_000, 6 * FLUSH_SECONDS * 1000),
      timeoutMs: 120_000,
    });
    return {
      frameBytes: frames.frameBytes,
      saturation,
      halfLoad,
      overload,
      drain: { unsettled },
      reconciliation,
      stress: await stressReport(r),
      versions: r.fleet.version,
    };
  } finally {
    stopWatching();
    await r.evictor?.stop();
  }
}

/** Not measured: JIT, Durable Objects created, SQLite files opened, on both services. */
async function warmUp(r: Run): Promise<void> {
  const durationMs = r.o.quick ? 1_000 : 2_000;
  r.ui.say("warm-up…");
  await closedLoop(r.fleet, new PhaseRecorder(r.o.devices, performance.now()), {
    durationMs,
    connections: r.o.connections,
  });
  await bareLoop(
    r.services.bare,
    r.fleet.devices,
    r.frames,
    new PhaseRecorder(r.o.devices, performance.now()),
    {
      durationMs,
      connections: r.o.connections,
      shardOf: r.shardOf,
    },
  );
}

/** fedge at saturation, then the bare ceiling, --rounds times: the same machine state for both. */
async function saturate(r: Run): Promise<RunResult["saturation"]> {
  const { o } = r;
  const rounds: RunResult["saturation"] = [];
  for (let round = 1; round <= o.rounds; round++) {
    r.evictor?.start();
    const restart =
      o.stress === "restart" && round === 1 ? restartAfter(r.services, o.durationMs / 2, r.downtimes) : null;
    const inspectorUrl = round === 1 ? r.services.fedgeInspectorUrl() : undefined;
    const profile = inspectorUrl ? await startProfile(inspectorUrl) : null;
    const fedge = await measure(phase(r, `fedge ${round}`, "fedge", o.durationMs), async (rec) => {
      await closedLoop(r.fleet, rec, {
        durationMs: o.durationMs,
        connections: o.connections,
        maxRate: o.rate,
        onTick: phaseBar(`saturation ${round}/${o.rounds}: fedge`, o.durationMs),
      });
      await restart;
    });
    if (profile && o.profile) reportProfile(r, await profile.stop(o.profile), o.profile, fedge);
    await r.evictor?.stop();
    const bare = await measure(phase(r, `bare ${round}`, "bare", o.durationMs), (rec) =>
      bareLoop(r.services.bare, r.fleet.devices, r.frames, rec, {
        durationMs: o.durationMs,
        connections: o.connections,
        maxRate: o.rate,
        shardOf: r.shardOf,
        onTick: phaseBar(`saturation ${round}/${o.rounds}: bare ceiling`, o.durationMs),
      }),
    );
    rounds.push({ fedge, bare });
    r.ui.say(
      `round ${round}: fedge ${perSec(fedge).toFixed(0)} accepted/s, bare ceiling ${perSec(bare).toFixed(0)}/s`,
    );
  }
  return rounds;
}

/** The profile's hottest functions, beside what workerd's CPU meter saw over the same span. */
function reportProfile(
  r: Run,
  { busySamples, tickUs, hotSpots }: ProfileSummary,
  file: string,
  fedge: PhaseResult,
) {
  const jsMs = (busySamples * tickUs) / 1000;
  r.ui.say(
    `profile → ${file}: ${busySamples} samples with fedge's isolate running (≈ ${jsMs.toFixed(0)} ms at one ` +
      `per ${tickUs} µs) while its workerd used ${fedge.usage.cpuMs.toFixed(0)} ms of CPU ` +
      `for ${fedge.rec.accepted} 202s; hottest functions by self samples:`,
  );
  for (const h of hotSpots) {
    r.ui.say(`  ${(100 * h.share).toFixed(1).padStart(5)}%  ${String(h.samples).padStart(6)}  ${h.location}`);
  }
}

async function halfLoadPhase(r: Run, maxPerSec: number): Promise<RunResult["halfLoad"]> {
  const rate = Math.max(1, 0.5 * maxPerSec);
  const result = await measure(phase(r, "half load", "fedge", r.o.durationMs), async (rec) => {
    await openLoop(r.fleet, rec, {
      rate,
      durationMs: r.o.durationMs,
      onTick: phaseBar(`half load: ${rate.toFixed(0)}/s`, r.o.durationMs),
    });
  });
  r.ui.say(`half load: ${rate.toFixed(0)}/s offered, ${perSec(result).toFixed(0)}/s accepted`);
  return { ...result, offeredPerSec: rate };
}

/**
 * --overload × the measured maximum, device 0 greedy. Long enough for ~5 accepted updates
 * per device at that maximum (at most a minute), so that Jain's index measures the
 * service rather than the rounding of one or two updates each.
 */
async function overloadPhase(r: Run, maxPerSec: number): Promise<RunResult["overload"]> {
  const { o } = r;
  const durationMs = Math.min(
    60_000,
    Math.max(o.durationMs, (5 * o.devices * 1000) / Math.max(1, maxPerSec)),
  );
  const rate = Math.max(1, o.overload * maxPerSec);
  const greedy = r.fleet.devices[0]!;
  greedy.greedy = true;
  let unfinished = 0;
  const restart = o.stress === "restart" ? restartAfter(r.services, durationMs / 2, r.downtimes) : null;
  try {
    const result = await measure(phase(r, "overload", "fedge", durationMs), async (rec) => {
      unfinished = await openLoop(r.fleet, rec, {
        rate,
        durationMs,
        greedy: { device: greedy, factor: o.greedyFactor },
        onTick: phaseBar(`overload ×${o.overload}: ${rate.toFixed(0)}/s`, durationMs),
      });
      await restart;
    });
    r.ui.say(`overload: ${rate.toFixed(0)}/s offered, ${perSec(result).toFixed(0)}/s accepted`);
    return { ...result, offeredPerSec: rate, greedyDevice: greedy.index, unfinished };
  } finally {
    greedy.greedy = false;
  }
}

async function stressReport(r: Run): Promise<StressReport | undefined> {
  const mode = r.o.stress;
  if (!mode) return undefined;
  if (mode === "restart") return { mode, restarts: { count: r.downtimes.length, downtimeMs: r.downtimes } };
  return {
    mode,
    ...(r.evictor ? { evictions: r.evictor.counts } : {}),
    ...(mode === "slow-parent" ? { slowParentMs: r.o.slowParentMs } : {}),
    injected: await injected(r.services),
  };
}

/**
 * A phase measured on `target`'s workerd. fedge's phases settle at least three cluster
 * waits (a cluster flushes within FLUSH_SECONDS of its first update, its region within
 * half that) before looking for an idle workerd, so the flushes their requests caused
 * are billed to them.
 */
function phase(r: Run, name: string, target: "fedge" | "bare", windowMs: number): PhaseSetup {
  return {
    name,
    devices: r.o.devices,
    windowMs,
    meter: target === "fedge" ? r.services.fedgeMeter : r.services.bareMeter,
    meters: [r.services.fedgeMeter, r.services.bareMeter],
    settleMs: [target === "fedge" ? 3 * FLUSH_SECONDS * 1000 : 250, r.o.quick ? 5_000 : 15_000],
    ...(target === "fedge" ? { rows: () => r.services.fedgeRows() } : {}),
  };
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
