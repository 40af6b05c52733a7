/**
 * R2 for self-hosted fedge (scripts/serve-workerd.ts): a workerd wrapped binding giving the part
 * of the R2Bucket API that fedge uses (get, head, put, delete, list with prefix, delimiter and
 * cursor) over a writable workerd disk directory (`env.disk`, a DiskDirectory service).
 *
 * One file per object, written atomically by the disk service (temporary file, then rename):
 * a line of JSON metadata, then the body. A key's `/`-separated segments become directories,
 * each percent-encoded; an object's file name ends in `@`, which percent-encoding never leaves,
 * so the keys `a` and `a/b` can both exist, as in R2. Options fedge does not use (ranges,
 * conditional requests, multipart uploads) are refused rather than ignored.
 */

interface Disk {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

interface Meta {
  key: string;
  version: string;
  size: number;
  etag: string;
  uploaded: string;
  httpMetadata: R2HTTPMetadata;
  customMetadata: Record<string, string>;
  sha256?: string;
}

const NEWLINE = 0x0a;
/** The metadata line is read with one ranged request of this many bytes (more only when it is longer). */
const META_PROBE_BYTES = 4096;

const encodeSegment = (segment: string) =>
  segment === "" ? "%" : encodeURIComponent(segment).replace(/^\./, "%2E");
const decodeSegment = (name: string) => (name === "%" ? "" : decodeURIComponent(name));
const objectPath = (key: string) => {
  const segments = key.split("/").map(encodeSegment);
  return `${segments.join("/")}@`;
};

const hex = (bytes: ArrayBuffer | ArrayBufferView) =>
  Array.from(
    ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : new Uint8Array(bytes),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
const hexOf = (value: ArrayBuffer | ArrayBufferView | string) =>
  typeof value === "string" ? value.toLowerCase() : hex(value);

function unsupported(what: string): never {
  throw new Error(`r2-disk (self-hosted R2) does not support ${what}`);
}

async function bytesOf(value: unknown): Promise<Uint8Array> {
  if (value === null || value === undefined) return new Uint8Array(0);
  if (typeof value === "string") return new TextEncoder().encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ReadableStream || value instanceof Blob)
    return new Uint8Array(await new Response(value).arrayBuffer());
  return unsupported(`a value of type ${typeof value}`);
}

function httpMetadataOf(value: R2HTTPMetadata | Headers | undefined): R2HTTPMetadata {
  if (!(value instanceof Headers)) return { ...(value ?? {}) };
  const get = (name: string) => value.get(name) ?? undefined;
  return {
    contentType: get("content-type"),
    contentLanguage: get("content-language"),
    contentDisposition: get("content-disposition"),
    contentEncoding: get("content-encoding"),
    cacheControl: get("cache-control"),
  };
}

function objectOf(meta: Meta): R2Object {
  const httpMetadata = meta.httpMetadata;
  return {
    key: meta.key,
    version: meta.version,
    size: meta.size,
    etag: meta.etag,
    httpEtag: `"${meta.etag}"`,
    uploaded: new Date(meta.uploaded),
    httpMetadata,
    customMetadata: meta.customMetadata,
    checksums: {
      toJSON: () => ({ md5: meta.etag, ...(meta.sha256 ? { sha256: meta.sha256 } : {}) }),
    } as R2Checksums,
    storageClass: "Standard",
    writeHttpMetadata(headers: Headers) {
      if (httpMetadata.contentType) headers.set("content-type", httpMetadata.contentType);
      if (httpMetadata.contentLanguage) headers.set("content-language", httpMetadata.contentLanguage);
      if (httpMetadata.contentDisposition)
        headers.set("content-disposition", httpMetadata.contentDisposition);
      if (httpMetadata.contentEncoding) headers.set("content-encoding", httpMetadata.contentEncoding);
      if (httpMetadata.cacheControl) headers.set("cache-control", httpMetadata.cacheControl);
    },
  } as R2Object;
}

function bodyOf(meta: Meta, body: Uint8Array): R2ObjectBody {
  let used = false;
  const take = () => {
    if (used) throw new TypeError("the body of this R2 object has already been read");
    used = true;
    return body;
  };
  // defineProperties, not Object.assign, which would call the `body` getter while copying it.
  return Object.defineProperties(objectOf(meta), {
    body: { get: () => new Response(take()).body },
    bodyUsed: { get: () => used },
    arrayBuffer: { value: async () => take().slice().buffer },
    bytes: { value: async () => take().slice() },
    text: { value: async () => new TextDecoder().decode(take()) },
    json: { value: async () => JSON.parse(new TextDecoder().decode(take())) },
    blob: { value: async () => new Blob([take().slice()]) },
  }) as R2ObjectBody;
}

export default function r2Disk(env: { disk: Disk }) {
  const url = (path: string) => `http://disk/${path}`;

  /** The object's metadata and, if `withBody`, its body; null when there is no such object. */
  async function read(key: string, withBody: boolean): Promise<{ meta: Meta; body?: Uint8Array } | null> {
    const path = url(objectPath(key));
    let res = await env.disk.fetch(
      path,
      withBody ? {} : { headers: { Range: `bytes=0-${META_PROBE_BYTES - 1}` } },
    );
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`r2-disk: reading ${key} failed with ${res.status}`);
    let bytes = new Uint8Array(await res.arrayBuffer());
    let end = bytes.indexOf(NEWLINE);
    if (end < 0 && !withBody) {
      res = await env.disk.fetch(path);
      bytes = new Uint8Array(await res.arrayBuffer());
      end = bytes.indexOf(NEWLINE);
    }
    if (end < 0) throw new Error(`r2-disk: ${key} has no metadata line`);
    const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(0, end))) as Meta;
    return withBody ? { meta, body: bytes.subarray(end + 1) } : { meta };
  }

  /** Every key under the directory of `segments`, in no particular order. */
  async function keysUnder(segments: string[]): Promise<string[]> {
    const dir = segments.map(encodeSegment).join("/");
    const res = await env.disk.fetch(url(dir === "" ? "" : `${dir}/`));
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`r2-disk: listing ${dir || "/"} failed with ${res.status}`);
    const entries = (await res.json()) as { name: string; type: string }[];
    const keys: string[] = [];
    for (const entry of entries) {
      if (entry.type === "file" && entry.name.endsWith("@"))
        keys.push([...segments, decodeSegment(entry.name.slice(0, -1))].join("/"));
      else if (entry.type === "directory")
        keys.push(...(await keysUnder([...segments, decodeSegment(entry.name)])));
    }
    return keys;
  }

  return {
    async head(key: string): Promise<R2Object | null> {
      const found = await read(key, false);
      return found ? objectOf(found.meta) : null;
    },

    async get(key: string, options?: R2GetOptions): Promise<R2ObjectBody | null> {
      if (options?.range !== undefined || options?.onlyIf !== undefined)
        unsupported("ranged or conditional gets");
      const found = await read(key, true);
      return found ? bodyOf(found.meta, found.body as Uint8Array) : null;
    },

    async put(key: string, value: unknown, options: R2PutOptions = {}): Promise<R2Object> {
      if (options.onlyIf !== undefined) unsupported("conditional puts");
      const body = await bytesOf(value);
      const md5 = hex(await crypto.subtle.digest("MD5", body));
      const sha256 = hex(await crypto.subtle.digest("SHA-256", body));
      // As R2 does: a put whose declared checksum does not match the bytes stores nothing.
      if (options.md5 !== undefined && hexOf(options.md5) !== md5)
        throw new Error(`put: the MD5 of ${key} does not match the one given`);
      if (options.sha256 !== undefined && hexOf(options.sha256) !== sha256)
        throw new Error(`put: the SHA-256 of ${key} does not match the one given`);
      const meta: Meta = {
        key,
        version: crypto.randomUUID().replaceAll("-", ""),
        size: body.byteLength,
        etag: md5,
        uploaded: new Date().toISOString(),
        httpMetadata: httpMetadataOf(options.httpMetadata),
        customMetadata: options.customMetadata ?? {},
        ...(options.sha256 !== undefined ? { sha256 } : {}),
      };
      const line = new TextEncoder().encode(`${JSON.stringify(meta)}\n`);
      const file = new Uint8Array(line.byteLength + body.byteLength);
      file.set(line);
      file.set(body, line.byteLength);
      const res = await env.disk.fetch(url(objectPath(key)), { method: "PUT", body: file });
      if (!res.ok) throw new Error(`r2-disk: writing ${key} failed with ${res.status}`);
      return objectOf(meta);
    },

    async delete(keys: string | string[]): Promise<void> {
      for (const key of Array.isArray(keys) ? keys : [keys]) {
        const res = await env.disk.fetch(url(objectPath(key)), { method: "DELETE" });
        if (!res.ok && res.status !== 404)
          throw new Error(`r2-disk: deleting ${key} failed with ${res.status}`);
      }
    },

    async list(options: R2ListOptions = {}): Promise<R2Objects> {
      if (options.startAfter !== undefined) unsupported("list's startAfter");
      const prefix = options.prefix ?? "";
      const limit = Math.min(options.limit ?? 1000, 1000);
      // Only the directories that can hold keys with this prefix are walked.
      const all = (await keysUnder(prefix.split("/").slice(0, -1)))
        .filter((key) => key.startsWith(prefix) && (options.cursor === undefined || key > options.cursor))
        .sort();
      const objects: R2Object[] = [];
      const delimitedPrefixes: string[] = [];
      let next = 0;
      while (next < all.length && objects.length + delimitedPrefixes.length < limit) {
        const key = all[next] as string;
        const rest = key.slice(prefix.length);
        const cut = options.delimiter ? rest.indexOf(options.delimiter) : -1;
        if (cut < 0) {
          const found = await read(key, false);
          if (found) objects.push(objectOf(found.meta));
          next++;
          continue;
        }
        // One entry for every key under this prefix: the page (and the cursor) moves past them all.
        const common = prefix + rest.slice(0, cut + (options.delimiter as string).length);
        delimitedPrefixes.push(common);
        while (next < all.length && (all[next] as string).startsWith(common)) next++;
      }
      const truncated = next < all.length;
      return {
        objects,
        delimitedPrefixes,
        truncated,
        ...(truncated ? { cursor: all[next - 1] as string } : {}),
      } as R2Objects;
    },
  };
}
