/**
 * One contract for R2 as fedge uses it, run against Miniflare's R2 (the reference) and against
 * r2-disk, the self-hosted stand-in, over an in-memory copy of workerd's DiskDirectory protocol
 * (scripts/serve-workerd.test.ts runs r2-disk over the real one).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import r2Disk from "./r2-disk";

/** workerd's DiskDirectory service, in memory: GET (ranges, directory listings), PUT, DELETE. */
function memoryDisk() {
  const files = new Map<string, Uint8Array>();
  return {
    async fetch(input: string, init: RequestInit = {}): Promise<Response> {
      const path = decodeURI(new URL(input).pathname.slice(1));
      const method = init.method ?? "GET";
      if (method === "PUT") {
        files.set(path, new Uint8Array(await new Response(init.body).arrayBuffer()));
        return new Response(null, { status: 204 });
      }
      if (method === "DELETE") return new Response(null, { status: files.delete(path) ? 204 : 404 });
      const file = files.get(path);
      if (file) {
        const range = new Headers(init.headers).get("Range")?.match(/^bytes=(\d+)-(\d+)$/);
        if (!range) return new Response(file.slice());
        return new Response(file.slice(Number(range[1]), Number(range[2]) + 1), { status: 206 });
      }
      const dir = path === "" || path.endsWith("/") ? path : `${path}/`;
      const entries = new Map<string, string>();
      for (const name of files.keys()) {
        if (!name.startsWith(dir)) continue;
        const [first, ...rest] = name.slice(dir.length).split("/");
        entries.set(first as string, rest.length > 0 ? "directory" : "file");
      }
      if (entries.size === 0) return new Response(null, { status: 404 });
      return Response.json([...entries].map(([name, type]) => ({ name, type })));
    },
  };
}

type Bucket = Pick<R2Bucket, "get" | "head" | "put" | "delete" | "list">;

const implementations: [string, () => Bucket][] = [
  ["Miniflare's R2", () => env.MODELS],
  ["r2-disk", () => r2Disk({ disk: memoryDisk() }) as unknown as Bucket],
];

let run = 0;

describe.each(implementations)("%s", (_name, make) => {
  // Each test has its own key space: the reference bucket is shared by the file's tests.
  const setup = () => ({ bucket: make(), root: `contract-${run++}/` });

  it("returns what was put: bytes, size, MD5 etag, HTTP and custom metadata", async () => {
    const { bucket, root } = setup();
    const bytes = new Uint8Array([1, 2, 3, 250]);

    await bucket.put(`${root}models/t/v0.bin`, bytes, {
      httpMetadata: { contentType: "application/octet-stream" },
      customMetadata: { version: "0" },
    });
    const object = await bucket.get(`${root}models/t/v0.bin`);
    const head = await bucket.head(`${root}models/t/v0.bin`);

    expect(new Uint8Array(await (object as R2ObjectBody).arrayBuffer())).toEqual(bytes);
    expect(object?.bodyUsed).toBe(true);
    const md5 = Array.from(new Uint8Array(await crypto.subtle.digest("MD5", bytes)), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    expect({ size: head?.size, etag: head?.etag, httpEtag: head?.httpEtag }).toEqual({
      size: 4,
      etag: md5,
      httpEtag: `"${md5}"`,
    });
    expect(head?.httpMetadata?.contentType).toBe("application/octet-stream");
    expect(head?.customMetadata).toEqual({ version: "0" });
  });

  it("reads text and JSON, and answers null for a key that was never put or was deleted", async () => {
    const { bucket, root } = setup();
    await bucket.put(`${root}m.json`, JSON.stringify({ sha256: "ab" }));
    await bucket.put(`${root}gone`, "x");

    await bucket.delete(`${root}gone`);

    expect(await (await bucket.get(`${root}m.json`))?.json()).toEqual({ sha256: "ab" });
    expect(await bucket.get(`${root}never`)).toBeNull();
    expect(await bucket.head(`${root}gone`)).toBeNull();
  });

  it("keeps `a` and `a/b` as two objects", async () => {
    const { bucket, root } = setup();

    await bucket.put(`${root}a`, "one");
    await bucket.put(`${root}a/b`, "two");

    expect(await (await bucket.get(`${root}a`))?.text()).toBe("one");
    expect(await (await bucket.get(`${root}a/b`))?.text()).toBe("two");
  });

  it("lists a prefix's children once each with a delimiter, page by page with the cursor", async () => {
    const { bucket, root } = setup();
    for (const key of [
      "models/t1/v0.bin",
      "models/t1/v1.bin",
      "models/t2/v0.bin",
      "models/t3/v0.bin",
      "other",
    ])
      await bucket.put(`${root}${key}`, "x");

    const all = await bucket.list({ prefix: `${root}models/`, delimiter: "/" });
    const first = await bucket.list({ prefix: `${root}models/`, delimiter: "/", limit: 2 });
    const second = await bucket.list({
      prefix: `${root}models/`,
      delimiter: "/",
      limit: 2,
      ...(first.truncated ? { cursor: first.cursor } : {}),
    });

    expect(all.delimitedPrefixes).toEqual(["t1/", "t2/", "t3/"].map((p) => `${root}models/${p}`));
    expect(all.objects).toEqual([]);
    expect(all.truncated).toBe(false);
    expect(first.truncated).toBe(true);
    expect([...first.delimitedPrefixes, ...second.delimitedPrefixes]).toEqual(all.delimitedPrefixes);
    expect(second.truncated).toBe(false);
  });

  it("lists every key under a prefix, in order, without a delimiter", async () => {
    const { bucket, root } = setup();
    for (const key of ["b/2", "a", "b/1", "c/d/e"]) await bucket.put(`${root}${key}`, "x");

    const listed = await bucket.list({ prefix: root });

    expect(listed.objects.map((o) => o.key)).toEqual(["a", "b/1", "b/2", "c/d/e"].map((k) => `${root}${k}`));
    expect(listed.objects.every((o) => o.size === 1)).toBe(true);
  });

  it("refuses a put whose SHA-256 does not match its bytes, and stores nothing", async () => {
    const { bucket, root } = setup();

    const put = bucket.put(`${root}bad`, "bytes", { sha256: "00".repeat(32) });

    await expect(put).rejects.toThrow();
    expect(await bucket.head(`${root}bad`)).toBeNull();
  });
});
