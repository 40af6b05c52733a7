/**
 * fedge in workerd, driven directly through Miniflare's API: no `wrangler dev` proxy
 * (which handles only ~300 requests/s here, against workerd's thousands). The Worker
 * is built exactly as for deployment (`wrangler deploy --dry-run --outdir`), and its
 * bindings come from wrangler.toml. Used by `npm run simulate` and load tests.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export interface LocalService {
  /** Requests go straight to workerd; `path` is relative to the service's origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The same service over HTTP on 127.0.0.1 (a free port), for clients in other processes: a browser. */
  url: URL;
  adminToken: string;
  dispose(): Promise<void>;
}

export async function startLocalService(options: { outdir?: string } = {}): Promise<LocalService> {
  const outdir = options.outdir ?? ".wrangler/local-service";
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  // Wrangler's rules describe its TypeScript sources; the built output needs none of them.
  const { modulesRules: _sourceRules, ...workerOptions } =
    unstable_getMiniflareWorkerOptions("wrangler.toml").workerOptions;
  const adminToken = "local-admin-token";
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          ...workerOptions,
          name: "fedge",
          modulesRoot: outdir,
          // The entry module first: workerd takes the first module as the main one.
          modules: ["index.js", ...readdirSync(outdir).filter((file) => file.endsWith(".wasm"))].map(
            (file) => ({
              type: file.endsWith(".wasm") ? "CompiledWasm" : "ESModule",
              path: join(outdir, file),
            }),
          ),
          bindings: {
            ...(workerOptions.bindings ?? {}),
            ADMIN_TOKEN: adminToken,
            TOKEN_SECRET: crypto.randomUUID(),
            ALLOW_REGION_OVERRIDE: "true",
            FEDGE_LOCAL_DEV: "true",
          },
        },
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const url = await mf.ready;
  return {
    url,
    adminToken,
    fetch: async (path, init) => {
      const res = await mf.dispatchFetch(`http://fedge.local${path}`, init as never);
      return res as unknown as Response;
    },
    dispose: async () => {
      await mf.dispose();
    },
  };
}
