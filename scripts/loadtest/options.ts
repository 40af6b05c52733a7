/** `npm run loadtest` options: parsed, checked (errors name the option), with --quick's defaults. */
import { parseArgs } from "node:util";
import type { ValueBits } from "../../shared/codecs/encoder";

export const HELP = `usage: npm run loadtest [-- options]

Drives fedge in workerd (Miniflare's API, no wrangler dev proxy) with simulated devices
that register, check in and upload top-k sparse update frames, and measures in the same
run, alternating, a bare Worker → Durable Object → SQLite INSERT → 202 with the same body
size. Phases: warm-up; saturation (fedge and bare ceiling, alternating, --rounds times);
half load (50% of fedge's measured maximum); overload (--overload × that maximum, with one
greedy device); then every 202 is reconciled against the service's counts.

  --devices N        simulated devices (default 2000; --quick 200)
  --connections N    requests in flight in the saturation phases (default 16)
  --rate R           cap the saturation phases at R device steps per second (default: none)
  --duration S       seconds per measured phase (default 10; --quick 3)
  --rounds N         alternating fedge/bare saturation rounds (default 2; --quick 1)
  --params N         model parameters (default 100000)
  --density D        top-k density of the updates, 0 < D ≤ 1 (default 0.01)
  --bits B           bits per value: 32 | 16 | 8 | 4 (default 8)
  --regions N        regions the devices are spread over, 1–9 (default 1)
  --buffer K         FedBuff buffer: the model steps every K updates (default devices/10)
  --overload F       the overload phase offers F × fedge's measured maximum (default 5)
  --greedy F         the greedy device sends F × a well-behaved device's rate (default 10)
  --stress MODE      evict | restart | slow-parent (see docs/benchmarks.md); same JSON
  --slow-parent-ms D with --stress slow-parent: each region takes D ms per partial (default 200)
  --seed N           seeds frames, device order, update ids and jitter (default 1)
  --ref REV          measure a committed revision (git archive to a temporary directory)
                     instead of the working tree
  --profile FILE     write a CPU profile of fedge's isolate (Worker and Durable Objects)
                     during the first fedge saturation phase to FILE (.cpuprofile, for
                     Chrome DevTools or speedscope) and list its hottest functions
  --quick            a short run for CI smoke use (about 40 s)
  --json             print one JSON object as the last line (the table goes to stderr)
  --help             this message`;

export type StressMode = "evict" | "restart" | "slow-parent";

export interface LoadtestOptions {
  devices: number;
  connections: number;
  rate: number | undefined;
  durationMs: number;
  rounds: number;
  params: number;
  density: number;
  bits: ValueBits;
  regions: number;
  buffer: number;
  overload: number;
  greedyFactor: number;
  stress: StressMode | undefined;
  slowParentMs: number;
  seed: number;
  ref: string | undefined;
  profile: string | undefined;
  quick: boolean;
  json: boolean;
}

export class OptionError extends Error {}

export function parseOptions(argv: string[]): LoadtestOptions | "help" {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      devices: { type: "string" },
      connections: { type: "string", default: "16" },
      rate: { type: "string" },
      duration: { type: "string" },
      rounds: { type: "string" },
      params: { type: "string", default: "100000" },
      density: { type: "string", default: "0.01" },
      bits: { type: "string", default: "8" },
      regions: { type: "string", default: "1" },
      buffer: { type: "string" },
      overload: { type: "string", default: "5" },
      greedy: { type: "string", default: "10" },
      stress: { type: "string" },
      "slow-parent-ms": { type: "string", default: "200" },
      seed: { type: "string", default: "1" },
      ref: { type: "string" },
      profile: { type: "string" },
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (v.help) return "help";
  const quick = v.quick === true;
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number) => {
    const n = Number(text ?? fallback);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new OptionError(`--${name} must be an integer in ${min}..${max}, got "${text}"`);
    }
    return n;
  };
  const num = (name: string, text: string | undefined, ok: (n: number) => boolean, rule: string) => {
    const n = Number(text);
    if (!ok(n)) throw new OptionError(`--${name} must be ${rule}, got "${text}"`);
    return n;
  };
  const bits = num("bits", v.bits, (n) => [32, 16, 8, 4].includes(n), "32, 16, 8 or 4") as ValueBits;
  const stress = v.stress;
  if (stress !== undefined && stress !== "evict" && stress !== "restart" && stress !== "slow-parent") {
    throw new OptionError(`--stress must be evict, restart or slow-parent, got "${stress}"`);
  }
  if (v.profile !== undefined && stress === "restart") {
    throw new OptionError(
      "--profile cannot be used with --stress restart: the restart kills the profiled workerd",
    );
  }
  const devices = int("devices", v.devices, quick ? 200 : 2000, 2, 100_000);
  return {
    devices,
    connections: int("connections", v.connections, 16, 1, 4096),
    rate: v.rate === undefined ? undefined : num("rate", v.rate, (n) => n > 0, "a number > 0"),
    durationMs:
      1000 * num("duration", v.duration ?? (quick ? "3" : "10"), (n) => n >= 1 && n <= 3600, "1–3600"),
    rounds: int("rounds", v.rounds, quick ? 1 : 2, 1, 20),
    params: int("params", v.params, 100_000, 2, 1 << 26),
    density: num("density", v.density, (n) => n > 0 && n <= 1, "in (0, 1]"),
    bits,
    regions: int("regions", v.regions, 1, 1, 9),
    buffer: int("buffer", v.buffer, Math.max(1, Math.round(devices / 10)), 1, 1_000_000),
    overload: num("overload", v.overload, (n) => n > 0 && n <= 100, "in (0, 100]"),
    greedyFactor: num("greedy", v.greedy, (n) => n >= 1 && n <= 1000, "in [1, 1000]"),
    stress,
    slowParentMs: int("slow-parent-ms", v["slow-parent-ms"], 200, 1, 60_000),
    seed: int("seed", v.seed, 1, 0, 0xffffffff),
    ref: v.ref,
    profile: v.profile,
    quick,
    json: v.json === true,
  };
}
