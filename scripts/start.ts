/**
 * `npm start`: serves fedge locally in workerd (through wrangler dev; no account, no
 * network), seeds the demo task, and prints what to try next.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { TaskConfigInput } from "../shared/protocol/task-config";

const HELP = `usage: npm start [-- --port 8787]

Serves fedge on http://127.0.0.1:<port> with wrangler dev (local mode; state in .wrangler/state)
and creates (or keeps) the demo task "demo". Ctrl-C stops it.`;

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

const { values } = parseArgs({
  options: { port: { type: "string", default: "8787" }, help: { type: "boolean" } },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const port = Number(values.port);
const base = `http://127.0.0.1:${port}`;
const adminToken = readFileSync(".dev.vars", "utf8")
  .match(/^ADMIN_TOKEN=(.*)$/m)?.[1]
  ?.trim();
if (!adminToken) throw new Error(".dev.vars has no ADMIN_TOKEN line");

const wrangler = spawn(
  "wrangler",
  ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false"],
  {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);
wrangler.on("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => wrangler.kill(signal));

async function waitUntilServing(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fedge did not start serving on ${base} within 60 s`);
}

await waitUntilServing();
const res = await fetch(`${base}/v1/admin/tasks/demo`, {
  method: "PUT",
  headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
  body: JSON.stringify(DEMO_TASK),
});
if (!res.ok) throw new Error(`seeding the demo task failed: ${res.status} ${await res.text()}`);
const view = (await res.json()) as { model: { version: number; layoutHash: string } };
console.log(`
fedge is serving on ${base}
demo task "demo": model version ${view.model.version}, layout hash ${view.model.layoutHash}
admin token (from .dev.vars): ${adminToken}

Try:  curl -s -X POST ${base}/v1/tasks/demo/devices
Then follow the walk-through in README.md. Ctrl-C stops the server.
`);
