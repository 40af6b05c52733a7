/**
 * `--profile`: a CPU profile of fedge's isolate (its Worker and every Durable Object)
 * during the first saturation phase, taken through workerd's own inspector with the Chrome
 * DevTools Protocol's Profiler domain. The profile is written as a `.cpuprofile` (open it
 * in Chrome DevTools or speedscope); the functions with the most self time are returned
 * for the table.
 */
import { writeFileSync } from "node:fs";

/** V8's profile, as Profiler.stop returns it. */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface HotSpot {
  /** `name (file:line)`, 1-based line in the built bundle; `(program)`, `(garbage collector)`, `exec` (SQLite) as V8 names them. */
  location: string;
  samples: number;
  /** Share of the samples taken while the isolate was not idle. */
  share: number;
}

export interface ProfileSummary {
  /** Samples taken while the isolate ran (JS, or native code JS called), and the sampler's tick. */
  busySamples: number;
  tickUs: number;
  hotSpots: HotSpot[];
}

export interface Profile {
  /** Stops profiling, writes the profile to `file`, returns the `top` hottest functions by self samples. */
  stop(file: string, top?: number): Promise<ProfileSummary>;
}

/** Connects to the isolate's inspector and starts sampling every `intervalUs` microseconds. */
export async function startProfile(inspectorUrl: string, intervalUs = 200): Promise<Profile> {
  const cdp = await connect(inspectorUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: intervalUs });
  await cdp.send("Profiler.start");
  return {
    async stop(file, top = 15) {
      try {
        const { profile } = (await cdp.send("Profiler.stop")) as { profile: CpuProfile };
        writeFileSync(file, JSON.stringify(profile));
        return summarize(profile, top);
      } finally {
        cdp.close();
      }
    },
  };
}

/**
 * Self samples per function. Counted, not weighted by their time deltas: the sampler
 * stops while workerd waits outside the isolate, and the whole wait lands on the next
 * sample's delta, so deltas would credit idle time to whatever ran after it.
 */
export function summarize(profile: CpuProfile, top: number): ProfileSummary {
  const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = frameOf.get(id);
    if (!frame) continue;
    const key = label(frame);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  counts.delete("(idle)");
  let busySamples = 0;
  for (const n of counts.values()) busySamples += n;
  const deltas = [...profile.timeDeltas].sort((a, b) => a - b);
  const hotSpots = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([location, samples]) => ({
      location,
      samples,
      share: busySamples > 0 ? samples / busySamples : 0,
    }));
  return { busySamples, tickUs: deltas[deltas.length >> 1] ?? 0, hotSpots };
}

function label(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  if (!frame.url) return name;
  const file = frame.url.slice(frame.url.lastIndexOf("/") + 1);
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

interface Cdp {
  send(method: string, params?: object): Promise<unknown>;
  close(): void;
}

/** A minimal DevTools Protocol client over Node's WebSocket (undici): commands and their replies. */
async function connect(url: string): Promise<Cdp> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`could not connect to the inspector at ${url}`)), {
      once: true,
    });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!waiter) return; // events: not subscribed to any
    pending.delete(msg.id as number);
    if (msg.error) waiter.reject(new Error(`inspector: ${msg.error.message}`));
    else waiter.resolve(msg.result);
  });
  ws.addEventListener("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("the inspector closed the connection"));
    pending.clear();
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}
