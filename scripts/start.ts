/**
 * `npm start`: serves fedge locally in workerd (through wrangler dev; no account, no
 * network), seeds the demo task, and prints what to try next. Stopping it stops everything
 * it started (scripts/supervise.ts): Ctrl-C, SIGTERM to this process, or SIGTERM to npm.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import { parseOptions, portOption } from "./cli";
import { spawnOptions, supervise } from "./supervise";

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

function usage(message: string): never {
  process.stderr.write(`npm start: ${message} (see: npm start -- --help)\n`);
  process.exit(2);
}

const options = parseOptions(
  {
    port: { type: "string", default: "8787" },
    state: { type: "string", default: ".wrangler/state" },
    fresh: { type: "boolean", default: false },
    help: { type: "boolean" },
  },
  usage,
);
if (options.help) {
  console.log(HELP);
  process.exit(0);
}
const port = portOption(options.port, usage);
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
    ...spawnOptions,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);
const supervision = supervise(wrangler, "fedge");

async function waitUntilServing(): Promise<void> {
  for (let i = 0; i < 600 && !supervision.stopping; i++) {
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
  if (!supervision.stopping) {
    console.error(`npm start: ${(error as Error).message}`);
    await supervision.stop("start-up failed", 1);
  }
}
