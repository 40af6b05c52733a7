/**
 * The bare-ceiling Worker (./bare-worker.js) in a workerd of its own: a second
 * Miniflare instance with fedge's compatibility date and flags, its Durable Object
 * storage persisted like fedge's. A separate process, not a second worker beside fedge,
 * so that the CPU time and disk writes read from /proc belong to one service only —
 * fedge's background flushes cannot be billed to the bare phases, or the reverse.
 */
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export interface BareService {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

export async function startBareService(persistDir: string): Promise<BareService> {
  const { compatibilityDate, compatibilityFlags } =
    unstable_getMiniflareWorkerOptions("wrangler.toml").workerOptions;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      resourcePersistencePath: persistDir,
      workers: [
        {
          name: "bare",
          modules: true,
          scriptPath: fileURLToPath(new URL("./bare-worker.js", import.meta.url)),
          compatibilityDate,
          compatibilityFlags,
          durableObjects: { SINK: { className: "Sink", useSQLite: true } },
        },
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  await mf.ready;
  return {
    fetch: async (path, init) =>
      (await mf.dispatchFetch(`http://bare.local${path}`, init as never)) as unknown as Response,
    dispose: () => mf.dispose(),
  };
}
