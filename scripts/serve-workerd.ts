/**
 * `npm run serve:workerd`: self-hosted fedge. Builds the Worker exactly as for deployment,
 * writes a workerd configuration beside the bundle (scripts/workerd/config.ts), and serves it
 * with the workerd binary from node_modules, Durable Objects and R2 kept on disk.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join, resolve } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { MIN_SECRET_BYTES, type SecretName, secretProblem } from "../workers/secrets";
import { parseOptions, portOption } from "./cli";
import { spawnOptions, supervise } from "./supervise";
import { DO_STORAGE_SERVICE, r2Service, workerdConfig } from "./workerd/config";

const HELP = `usage: npm run serve:workerd -- [--port 8787] [--ip 127.0.0.1] [--data DIR] [--dev]

Serves fedge with workerd alone, no Cloudflare account and no wrangler at run time:
builds the Worker as \`npm run deploy\` would (wrangler deploy --dry-run --outdir OUT), writes
OUT/fedge.capnp, and runs node_modules' workerd on it. Durable Objects (SQLite) and R2 objects
are kept under DIR and survive restarts.

  --port P       the port (default 8787)
  --ip ADDR      the address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --data DIR     where state is kept (default .wrangler/workerd/data)
  --out DIR      where the bundle and configuration go (default .wrangler/workerd/build)
  --build-only   write OUT and exit (a container image does this once)
  --skip-build   serve OUT as it is
  --dev          development: .dev.vars.example's values for whatever the environment does not set,
                 its short secrets accepted; never for a service others can reach

Secrets come from the environment: ADMIN_TOKEN and TOKEN_SECRET, random and at least
${MIN_SECRET_BYTES} bytes each, e.g. \`export TOKEN_SECRET=$(openssl rand -base64 48)\`. Without --dev, a
missing, short or development-default secret stops it before it starts. The vars (CORS_ORIGINS,
DEFAULT_REGION, ALLOW_REGION_OVERRIDE) are wrangler.toml's unless the environment sets them.
SIGTERM or Ctrl-C stops it. docs/operations.md#self-hosting has more, and the Dockerfile.`;

const SECRETS: SecretName[] = ["ADMIN_TOKEN", "TOKEN_SECRET"];
const EXTENSIONS = {
  r2Disk: "workers/self-host/r2-disk.ts",
  rateLimit: "workers/self-host/rate-limit.ts",
  noCache: "workers/self-host/no-cache.ts",
};

function usage(message: string): never {
  process.stderr.write(`serve:workerd: ${message} (see: npm run serve:workerd -- --help)\n`);
  process.exit(2);
}

function refuse(message: string): never {
  process.stderr.write(`serve:workerd: ${message}\n`);
  process.exit(1);
}

const options = parseOptions(
  {
    port: { type: "string", default: "8787" },
    ip: { type: "string", default: "127.0.0.1" },
    data: { type: "string", default: ".wrangler/workerd/data" },
    out: { type: "string", default: ".wrangler/workerd/build" },
    dev: { type: "boolean", default: false },
    "build-only": { type: "boolean", default: false },
    "skip-build": { type: "boolean", default: false },
    help: { type: "boolean" },
  },
  usage,
);
if (options.help) {
  console.log(HELP);
  process.exit(0);
}
const port = portOption(options.port, usage);
if (options["build-only"] && options["skip-build"]) usage("--build-only and --skip-build exclude each other");
const out = resolve(options.out ?? "");
const data = resolve(options.data ?? "");
const address = `${options.ip}:${port}`;

type Vars = Record<string, unknown>;
// The config's types come from a package wrangler bundles and does not install.
const { rawConfig } = experimental_readRawConfig({ config: "wrangler.toml" }) as {
  rawConfig: {
    compatibility_date?: string;
    compatibility_flags?: string[];
    vars?: Vars;
    durable_objects?: { bindings?: { name: string; class_name: string }[] };
    r2_buckets?: { binding: string; bucket_name: string }[];
    ratelimits?: { name: string; simple: { limit: number; period: number } }[];
  };
};

/** What workerd's environment holds: wrangler.toml's vars, then (with --dev) .dev.vars.example's, then this process's. */
function workerdEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Only --dev marks local development; a stray FEDGE_LOCAL_DEV in a shell must not.
  delete env.FEDGE_LOCAL_DEV;
  const defaults: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawConfig.vars ?? {})) defaults[name] = String(value);
  if (options.dev) {
    for (const match of readFileSync(".dev.vars.example", "utf8").matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm))
      defaults[match[1] as string] = (match[2] as string).trim();
    defaults.FEDGE_LOCAL_DEV = "true";
  }
  for (const [name, value] of Object.entries(defaults)) if (env[name] === undefined) env[name] = value;
  return env;
}

function checkSecrets(env: NodeJS.ProcessEnv): void {
  for (const name of SECRETS) {
    const problem = secretProblem(env, name);
    if (problem !== null)
      refuse(
        `${name} ${problem}: set it to a random value of at least ${MIN_SECRET_BYTES} bytes, e.g. \`export ${name}=$(openssl rand -base64 48)\` (or pass --dev on your own machine)`,
      );
  }
}

function build(): void {
  execFileSync("wrangler", ["deploy", "--dry-run", "--env", "", "--outdir", out], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  const extensions = Object.fromEntries(
    Object.entries(EXTENSIONS).map(([name, source]) => {
      const file = `self-host-${name}.js`;
      writeFileSync(join(out, file), stripTypeScriptTypes(readFileSync(source, "utf8")));
      return [name, file];
    }),
  ) as typeof EXTENSIONS;
  const wasm = readdirSync(out).filter((file) => file.endsWith(".wasm"));
  const config = workerdConfig({
    modules: [
      { name: "index.js", type: "esModule" },
      ...wasm.map((name) => ({ name, type: "wasm" as const })),
    ],
    compatibilityDate: rawConfig.compatibility_date ?? "",
    compatibilityFlags: rawConfig.compatibility_flags ?? [],
    fromEnvironment: [...Object.keys(rawConfig.vars ?? {}), ...SECRETS, "FEDGE_LOCAL_DEV"],
    durableObjects: (rawConfig.durable_objects?.bindings ?? []).map((b) => ({
      binding: b.name,
      className: b.class_name,
    })),
    r2Buckets: (rawConfig.r2_buckets ?? []).map((b) => ({ binding: b.binding, bucketName: b.bucket_name })),
    rateLimits: (rawConfig.ratelimits ?? []).map((r) => ({
      binding: r.name,
      limit: r.simple.limit,
      period: r.simple.period,
    })),
    extensions,
    address,
  });
  writeFileSync(join(out, "fedge.capnp"), config);
}

const env = workerdEnvironment();
if (!options["build-only"]) checkSecrets(env);
if (!options["skip-build"]) build();
else if (!existsSync(join(out, "fedge.capnp")))
  refuse(`${out}/fedge.capnp is missing: run without --skip-build first`);
if (options["build-only"]) {
  console.log(`wrote ${join(out, "fedge.capnp")} and the bundle beside it`);
  process.exit(0);
}

const directories = [
  [DO_STORAGE_SERVICE, join(data, "do")],
  ...(rawConfig.r2_buckets ?? []).map((b) => [r2Service(b.bucket_name), join(data, "r2", b.bucket_name)]),
] as const;
for (const [, dir] of directories) mkdirSync(dir, { recursive: true });
const workerd = spawn(
  "workerd",
  [
    "serve",
    "--experimental",
    join(out, "fedge.capnp"),
    "--socket-addr",
    `http=${address}`,
    ...directories.flatMap(([service, dir]) => ["--directory-path", `${service}=${dir}`]),
  ],
  { ...spawnOptions, stdio: ["ignore", "inherit", "inherit"], env },
);
const supervision = supervise(workerd, "fedge");

const base = `http://${options.ip === "0.0.0.0" ? "127.0.0.1" : options.ip}:${port}`;
let serving = false;
for (let i = 0; i < 300 && !serving && !supervision.stopping; i++) {
  try {
    serving = (await fetch(`${base}/`)).ok;
  } catch {
    // not listening yet
  }
  if (!serving) await new Promise((r) => setTimeout(r, 100));
}
if (serving) console.log(`fedge (workerd) is serving on http://${address}; state in ${data}`);
else if (!supervision.stopping)
  console.error(`serve:workerd: ${base}/ has not answered within 30 s; still waiting`);
