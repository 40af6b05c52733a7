/**
 * `npm run deploy`: checks the bundle (scripts/check-deploy.ts), then `wrangler deploy --env
 * production` (or `-- --env staging|dev`). Says what to do when no Cloudflare credentials are
 * available, before building anything, instead of wrangler's browser prompt or API error.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { experimental_readRawConfig } from "wrangler";

const HELP = `usage: npm run deploy [-- --env production|staging|dev]

Runs npm run check:deploy, then \`wrangler deploy --env <env>\` (default production).
Needs a Cloudflare login (\`npx wrangler login\`) or CLOUDFLARE_API_TOKEN (and
CLOUDFLARE_ACCOUNT_ID) in the environment, and the environment's secrets set with
\`wrangler secret put ADMIN_TOKEN --env <env>\` and TOKEN_SECRET: docs/operations.md#deploying.`;

const quiet = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

function fail(message: string, code: number): never {
  process.stderr.write(`npm run deploy: ${message}\n`);
  process.exit(code);
}

let values: { env?: string; help?: boolean };
try {
  values = parseArgs({
    options: { env: { type: "string", default: "production" }, help: { type: "boolean" } },
  }).values;
} catch (error) {
  fail(`${(error as Error).message.split(". ")[0]} (see: npm run deploy -- --help)`, 2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const env = values.env ?? "production";
const environments = Object.keys(
  (experimental_readRawConfig({ config: "wrangler.toml" }) as { rawConfig: { env?: object } }).rawConfig
    .env ?? {},
);
if (!environments.includes(env))
  fail(`wrangler.toml has no environment "${env}"; it has ${environments.join(", ")}`, 2);

// `wrangler auth token` answers from the local login or CLOUDFLARE_API_TOKEN without deploying anything.
const auth = spawnSync("wrangler", ["auth", "token"], { stdio: "ignore", env: quiet });
if (auth.status !== 0)
  fail(
    "not logged in to Cloudflare. Run `npx wrangler login` (opens a browser), or set CLOUDFLARE_API_TOKEN " +
      "(a token with the Workers Scripts, Workers R2 Storage and Account Settings permissions) and " +
      "CLOUDFLARE_ACCOUNT_ID; see docs/operations.md#deploying",
    1,
  );

const steps: [string, string[]][] = [
  ["npm", ["run", "-s", "check:deploy"]],
  ["wrangler", ["deploy", "--env", env]],
];
for (const [command, args] of steps) {
  const run = spawnSync(command, args, { stdio: "inherit", env: quiet });
  if (run.status !== 0) fail(`\`${command} ${args.join(" ")}\` failed`, run.status ?? 1);
}
