/**
 * `npm start`: serves fedge locally in workerd (through wrangler dev; no account, no
 * network), seeds the demo task, and prints what to try next. Stopping it stops everything
 * it started: Ctrl-C, SIGTERM to this process, or SIGTERM to npm (which does not pass the
 * signal through its shell, so this process notices its parent is gone instead).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import type { TaskConfigInput } from "../shared/protocol/task-config";

const HELP = `usage: npm start [-- --port 8787] [--fresh] [--state DIR]

Serves fedge on http://127.0.0.1:<port> with wrangler dev (local mode) and creates (or keeps)
the demo task "demo".

  --port N      the port to serve on (default 8787)
  --state DIR   where Durable Objects and R2 keep their data (default .wrangler/state)
  --fresh       delete that state first: every task, device, update and model version

Ctrl-C, or SIGTERM to npm or to this process, stops wrangler and workerd and exits.`;

/** A 4-parameter model whose round closes after 2 updates: small enough to drive with curl. */
export const DEMO_TASK: TaskConfigInput = {
  model: {
    parameters: 4,
    layout: [
      { name: "weights", shape: [3], offset: 0 },
      { name: "bias", shape: [1], offset: 3 },
    ],
  },
  round: { targetUpdates: 2, deadlineSeconds: 10 },
  clusters: { targetSize: 10 },
};

/** How long wrangler and workerd get to stop on SIGTERM before they are killed. */
const STOP_GRACE_MS = 5_000;

function usage(message: string): never {
  process.stderr.write(`npm start: ${message} (see: npm start -- --help)\n`);
  process.exit(2);
}

let options: { port?: string; state?: string; fresh?: boolean; help?: boolean };
try {
  options = parseArgs({
    options: {
      port: { type: "string", default: "8787" },
      state: { type: "string", default: ".wrangler/state" },
      fresh: { type: "boolean", default: false },
      help: { type: "boolean" },
    },
  }).values;
} catch (error) {
  usage((error as Error).message.split(". ")[0] ?? String(error));
}
if (options.help) {
  console.log(HELP);
  process.exit(0);
}
const port = Number(options.port);
if (!Number.isInteger(port) || port < 1 || port > 65_535)
  usage(`--port must be 1 to 65535, not ${options.port}`);
const stateDir = options.state ?? ".wrangler/state";
const base = `http://127.0.0.1:${port}`;
const adminToken = readFileSync(".dev.vars", "utf8")
  .match(/^ADMIN_TOKEN=(.*)$/m)?.[1]
  ?.trim();
if (!adminToken) usage(".dev.vars has no ADMIN_TOKEN line");

if (options.fresh) {
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`cleared the local state in ${stateDir}`);
}

// Its own process group, so that stopping reaches workerd too, whatever wrangler does with the signal.
const detached = process.platform !== "win32";
const wrangler = spawn(
  "wrangler",
  [
    "dev",
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    stateDir,
    "--show-interactive-dev-session=false",
  ],
  {
    detached,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);
const exited = new Promise<number>((resolve) => wrangler.on("exit", (code) => resolve(code ?? 1)));

let stopping = false;

/** Signals wrangler's whole process group, then kills whatever is left after the grace period. */
async function stop(reason: string, exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log(`\nstopping fedge (${reason})`);
    signalGroup(wrangler, "SIGTERM");
    const timer = setTimeout(() => signalGroup(wrangler, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    // wrangler has exited; workerd, in the same group, may still be closing its sockets.
    for (let waited = 0; groupAlive(wrangler) && waited < STOP_GRACE_MS; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    signalGroup(wrangler, "SIGKILL");
    clearTimeout(timer);
    console.log("fedge stopped");
    process.exit(exitCode);
  }
  return new Promise<never>(() => {});
}

/** For event handlers, which cannot await: a failure to stop is reported, never left unhandled. */
function requestStop(reason: string, exitCode: number): void {
  stop(reason, exitCode).catch((error: unknown) => {
    console.error("npm start: stopping failed:", error);
    process.exit(1);
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (detached && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  if (!detached || child.pid === undefined) return child.exitCode === null;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => requestStop(signal, 0));
// npm runs this through `sh -c`, which dies of npm's forwarded SIGTERM without passing it on.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) requestStop("its parent process exited", 0);
}, 250).unref();
wrangler.on("exit", (code) => {
  if (!stopping) requestStop(`wrangler exited with code ${code}`, code ? code : 1);
});

async function waitUntilServing(): Promise<void> {
  for (let i = 0; i < 600 && !stopping; i++) {
    try {
      if ((await fetch(`${base}/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fedge did not start serving on ${base} within 60 s`);
}

async function seedDemoTask(): Promise<{ version: number; layoutHash: string }> {
  const res = await fetch(`${base}/v1/admin/tasks/demo`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(DEMO_TASK),
  });
  if (!res.ok) throw new Error(`seeding the demo task failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { model: { version: number; layoutHash: string } }).model;
}

try {
  await waitUntilServing();
  const model = await seedDemoTask();
  console.log(`
fedge is serving on ${base}
demo task "demo": model version ${model.version}, layout hash ${model.layoutHash}
admin token (from .dev.vars): ${adminToken}

Try:  curl -s -X POST ${base}/v1/tasks/demo/devices
Then follow the walk-through in README.md. Ctrl-C stops the server.
`);
} catch (error) {
  if (!stopping) {
    console.error(`npm start: ${(error as Error).message}`);
    await stop("start-up failed", 1);
  }
}
