/**
 * Serves the built page (examples/browser/dist) as any static host would, on every
 * interface: `npm run example:browser -- --port 5173`. Any static server does as well;
 * this one needs nothing beyond Node.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const DIST = resolve(fileURLToPath(new URL("./dist", import.meta.url)));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  // Browsers compile WebAssembly while it downloads only when it comes as application/wasm.
  ".wasm": "application/wasm",
};

/** Listens on `port` (0: any free one) and resolves with the server and the port it got. */
export async function servePage(port = 0, dir = DIST): Promise<{ server: Server; port: number }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    const file = join(dir, path === "/" ? "index.html" : path);
    try {
      if (!file.startsWith(dir)) throw new Error("outside the page's directory");
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok, fail) => server.once("error", fail).listen(port, ok));
  return { server, port: (server.address() as AddressInfo).port };
}

if (resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "5173" } } });
  const { port } = await servePage(Number(values.port));
  console.log(`the example page: http://127.0.0.1:${port}/ (?server=URL&versions=N); Ctrl-C stops it`);
}
