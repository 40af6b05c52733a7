/**
 * `npm run check:deploy`: builds the bundle `npm run deploy` would upload (`wrangler deploy
 * --dry-run --env production --outdir`), fails when its gzipped size passes the budget, and
 * checks every environment's CORS_ORIGINS with the Worker's own rules, so a bad value fails
 * here rather than as 503s after a deploy.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { experimental_readRawConfig } from "wrangler";
import { parseCorsOrigins } from "../workers/cors-origins";

/**
 * The Workers Free plan takes at most 3 MB gzipped, the paid plans 10 MB. A third of the free
 * limit leaves room to grow and still catches an accidental heavy import (onnxruntime-web alone
 * is several MB) long before a deploy would be refused.
 */
export const BUDGET_BYTES = 1024 * 1024;
const FREE_PLAN_BYTES = 3 * 1024 * 1024;

const HELP = `usage: npm run check:deploy [-- --outdir DIR] [--budget-kib N]

Builds the production bundle with \`wrangler deploy --dry-run --env production --outdir DIR\`
(default .wrangler/deploy-check), prints its size, and exits 1 when the gzipped bundle passes
the budget (default ${BUDGET_BYTES / 1024} KiB; the Workers Free plan allows 3 MB) or an
environment's CORS_ORIGINS is not a list of exact origins. Needs no Cloudflare account.`;

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function fail(message: string): never {
  process.stderr.write(`check:deploy: ${message}\n`);
  process.exit(1);
}

type Vars = Record<string, unknown>;

/** Every environment's CORS_ORIGINS must parse as deployed (no localhost patterns). */
function checkCorsOrigins(): void {
  // The config's types come from a package wrangler bundles and does not install.
  const { rawConfig } = experimental_readRawConfig({ config: "wrangler.toml" }) as {
    rawConfig: { vars?: Vars; env?: Record<string, { vars?: Vars } | undefined> };
  };
  const environments = [
    { where: "top level", vars: rawConfig.vars },
    ...Object.entries(rawConfig.env ?? {}).map(([name, env]) => ({ where: `env.${name}`, vars: env?.vars })),
  ];
  for (const { where, vars } of environments) {
    const value = vars?.CORS_ORIGINS;
    if (value !== undefined && typeof value !== "string")
      fail(`wrangler.toml ${where}: CORS_ORIGINS must be a string`);
    try {
      parseCorsOrigins(value, false);
    } catch (error) {
      fail(`wrangler.toml ${where}: ${(error as Error).message}`);
    }
  }
}

/** What the upload counts: the entry module and its WASM modules, not source maps or the README. */
function bundleSizes(outdir: string): { raw: number; gzip: number; files: string[] } {
  const files = readdirSync(outdir).filter((file) => file.endsWith(".js") || file.endsWith(".wasm"));
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(join(outdir, file));
    raw += bytes.byteLength;
    gzip += gzipSync(bytes).byteLength;
  }
  return { raw, gzip, files };
}

const { values } = parseArgs({
  options: {
    outdir: { type: "string", default: ".wrangler/deploy-check" },
    "budget-kib": { type: "string", default: String(BUDGET_BYTES / 1024) },
    help: { type: "boolean" },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const budget = Number(values["budget-kib"]) * 1024;
if (!(budget > 0)) fail("--budget-kib must be a number > 0");

checkCorsOrigins();
rmSync(values.outdir, { recursive: true, force: true });
execFileSync("wrangler", ["deploy", "--dry-run", "--env", "production", "--outdir", values.outdir], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
const size = bundleSizes(values.outdir);
const summary = `bundle (${size.files.join(", ")}): ${kib(size.raw)}, gzip ${kib(size.gzip)} of a ${kib(budget)} budget (Free plan limit ${kib(FREE_PLAN_BYTES)})`;
if (size.gzip > budget)
  fail(`${summary}: over budget; find the heavy import with \`wrangler deploy --dry-run --metafile\``);
console.log(`check:deploy: ${summary}; every environment's CORS_ORIGINS is valid`);
