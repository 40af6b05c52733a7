/**
 * fedge in workerd, driven directly through Miniflare's API: no `wrangler dev` proxy
 * (which handles only ~300 requests/s here, against workerd's thousands). The Worker
 * is built exactly as for deployment (`wrangler deploy --dry-run --outdir`), and its
 * bindings come from wrangler.toml. Used by `npm run simulate` and `npm run loadtest`.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export interface LocalService {
  /** Requests go straight to workerd; `path` is relative to the service's origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The same service over HTTP on 127.0.0.1 (a free port), for clients in other processes: a browser. */
  url: URL;
  adminToken: string;
  /** With `inspector`: the DevTools WebSocket of fedge's isolate (its Worker and Durable Objects). */
  inspectorUrl: string | undefined;
  /**
   * Evicts one running Durable Object (Miniflare's test-only eviction; nothing in the
   * Worker is involved). Rejects when that object is not running.
   */
  evict(className: string, name: string): Promise<void>;
  dispose(): Promise<void>;
}

export interface LocalServiceOptions {
  /** The project to build and serve: its wrangler.toml and sources (default: this checkout). */
  root?: string;
  /** Where the deploy build goes (default .wrangler/local-service). */
  outdir?: string;
  /** Use the build already in `outdir` (a restart of the same build). */
  skipBuild?: boolean;
  /**
   * Keep Durable Object and R2 state on disk here, so a new service on the same
   * directory continues where a disposed one stopped. Default: Miniflare's temporary
   * directory, gone with the instance.
   */
  persistDir?: string;
  /** Device tokens stay valid across services that share it (default: random per service). */
  tokenSecret?: string;
  /**
   * A module to run as the entry instead of the build's `index.js`: it imports the build
   * as `./index.js` and re-exports it, wrapped (the load test's harness entry). Copied
   * into `outdir`; never part of a deployment.
   */
  entry?: string;
  /** Plain-text bindings added to wrangler.toml's (the entry's configuration). */
  bindings?: Record<string, string>;
  /** Opens workerd's inspector (Chrome DevTools Protocol) on a free port: see `inspectorUrl`. */
  inspector?: boolean;
}

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const root = options.root ?? ".";
  const outdir = resolve(options.outdir ?? ".wrangler/local-service");
  if (!options.skipBuild) buildForDeploy(outdir, root);
  // Wrangler's rules describe its TypeScript sources; the built output needs none of them.
  const { modulesRules: _sourceRules, ...workerOptions } = unstable_getMiniflareWorkerOptions(
    join(root, "wrangler.toml"),
  ).workerOptions;
  const adminToken = "local-admin-token";
  const main = options.entry ? "harness-entry.js" : "index.js";
  if (options.entry) copyFileSync(options.entry, join(outdir, main));
  const modules = [main, ...(options.entry ? ["index.js"] : [])];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...(options.persistDir ? { resourcePersistencePath: options.persistDir } : {}),
      ...(options.inspector ? { inspectorPort: 0 } : {}),
      workers: [
        {
          ...workerOptions,
          name: "fedge",
          modulesRoot: outdir,
          // The entry module first: workerd takes the first module as the main one.
          modules: [...modules, ...readdirSync(outdir).filter((file) => file.endsWith(".wasm"))].map(
            (file) => ({
              type: file.endsWith(".wasm") ? "CompiledWasm" : "ESModule",
              path: join(outdir, file),
            }),
          ),
          bindings: {
            ...(workerOptions.bindings ?? {}),
            ADMIN_TOKEN: adminToken,
            TOKEN_SECRET: options.tokenSecret ?? crypto.randomUUID(),
            ALLOW_REGION_OVERRIDE: "true",
            FEDGE_LOCAL_DEV: "true",
            ...options.bindings,
          },
        },
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const url = await mf.ready;
  return {
    url,
    adminToken,
    // workerd's own inspector serves each worker at /core:user:<name>; its Durable Objects
    // share the isolate. (Miniflare's proxy in front of it forwards a client's first command
    // before its own connection to workerd is open, and throws.)
    inspectorUrl: options.inspector
      ? new URL("./core:user:fedge", await mf.getInspectorURL()).href
      : undefined,
    fetch: async (path, init) => {
      const res = await mf.dispatchFetch(`http://fedge.local${path}`, init as never);
      return res as unknown as Response;
    },
    evict: (className, name) => mf.unsafeEvictDurableObject("fedge", className, { name }),
    dispose: async () => {
      await mf.dispose();
    },
  };
}

/** `wrangler deploy --dry-run`: the bundle and its WASM modules, as they would be uploaded. */
export function buildForDeploy(outdir: string, root = "."): void {
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", resolve(outdir)], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
}
