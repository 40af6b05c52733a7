/**
 * Downloads the current model and keeps it in the store: the manifest names the version and
 * its SHA-256; the weights are fetched with `If-None-Match` of the cached copy's ETag, so an
 * unchanged version costs a 304; whatever bytes are used are checked against the manifest's
 * SHA-256 first. The store keeps the newest version and any version still being trained on.
 */
import { toHex } from "../../shared/protocol/frame";
import type { Manifest } from "./api-types";
import type { Http } from "./http";
import { decodeRecord, encodeRecord } from "./record";
import type { DeviceAuth } from "./registration";
import type { Store } from "./store";

interface CachedMeta {
  version: number;
  /** The server's ETag for these bytes, quoted as it was sent. */
  etag: string | null;
  sha256: string;
}

export interface LoadedModel {
  version: number;
  manifest: Manifest;
  /** A fresh copy, the caller's to modify. */
  weights: Float32Array;
  /** Lets the store drop this version once a newer one is cached. */
  release(): void;
}

/** The downloaded bytes do not hash to the manifest's sha256 (a corrupting proxy, a truncated body). */
export class ModelIntegrityError extends Error {
  override readonly name = "ModelIntegrityError";
}

export class ModelCache {
  /** Versions in use, with how many users each has. */
  readonly #leases = new Map<number, number>();

  constructor(
    private readonly http: Http,
    private readonly auth: DeviceAuth,
    private readonly store: Store,
    private readonly prefix: string,
  ) {}

  /** The model the manifest at `manifestUrl` describes. Call `release()` when done with it. */
  async load(manifestUrl: string): Promise<LoadedModel> {
    const manifest = await this.auth.call((token) => this.http.json<Manifest>(manifestUrl, { token }));
    const { version } = manifest;
    this.#leases.set(version, (this.#leases.get(version) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const users = (this.#leases.get(version) ?? 1) - 1;
      if (users === 0) this.#leases.delete(version);
      else this.#leases.set(version, users);
    };
    try {
      const bytes = await this.weights(manifest);
      // A copy: the trainer may write to its weights, and a Float32Array needs an aligned buffer.
      return { version, manifest, weights: new Float32Array(bytes.slice().buffer), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /**
   * The task's ONNX graph, if it has one: cached in the store under its SHA-256 (graph
   * URLs are content-addressed, so a cached copy that still hashes right is current).
   */
  async graph(manifestUrl: string, storeKey: string): Promise<Uint8Array | undefined> {
    const manifest = await this.auth.call((token) => this.http.json<Manifest>(manifestUrl, { token }));
    const graph = manifest.graph;
    if (!graph) return undefined;
    const cached = await this.store.get(storeKey);
    if (cached instanceof Uint8Array && (await sha256Hex(cached)) === graph.sha256) return cached;
    const bytes = await this.auth.call((token) =>
      this.http.request(
        graph.url,
        { token },
        async (response) => new Uint8Array(await response.arrayBuffer()),
      ),
    );
    if ((await sha256Hex(bytes)) !== graph.sha256) {
      throw new ModelIntegrityError(`the graph does not match the manifest's sha256`);
    }
    await this.store.set(storeKey, bytes);
    return bytes;
  }

  private async weights(manifest: Manifest): Promise<Uint8Array> {
    const cached = await this.cached(manifest);
    const headers: Record<string, string> = cached?.meta.etag ? { "If-None-Match": cached.meta.etag } : {};
    const fetched = await this.auth.call((token) =>
      this.http.request(manifest.weightsUrl, { token, headers, accept: [304] }, async (response) => {
        if (response.status !== 304)
          return { bytes: new Uint8Array(await response.arrayBuffer()), etag: response.headers.get("ETag") };
        // Read to its (normally empty) end: an unread body holds its connection, and some
        // fetch implementations (undici) keep it from being reused until collected.
        await response.arrayBuffer();
        return undefined;
      }),
    );
    if (fetched === undefined) {
      // 304 for a copy already checked against this manifest.
      if (cached === undefined)
        throw new ModelIntegrityError(`304 for version ${manifest.version}, which is not cached`);
      return cached.payload;
    }
    if ((await sha256Hex(fetched.bytes)) !== manifest.sha256) {
      throw new ModelIntegrityError(
        `weights of version ${manifest.version} do not match the manifest's sha256`,
      );
    }
    const meta: CachedMeta = { version: manifest.version, etag: fetched.etag, sha256: manifest.sha256 };
    await this.store.set(this.key(manifest.version), encodeRecord(meta, fetched.bytes));
    await this.prune();
    return fetched.bytes;
  }

  /** The cached copy of the manifest's version, if there is one and it still hashes right. */
  private async cached(manifest: Manifest) {
    const value = await this.store.get(this.key(manifest.version));
    if (!(value instanceof Uint8Array)) return undefined;
    const record = decodeRecord<CachedMeta>(value);
    if (record.meta.sha256 !== manifest.sha256) return undefined;
    if ((await sha256Hex(record.payload)) !== manifest.sha256) return undefined;
    return record;
  }

  private async prune(): Promise<void> {
    const keys = await this.store.keys(this.prefix);
    const versions = keys.map((key) => Number(key.slice(this.prefix.length)));
    const newest = Math.max(...versions);
    for (const version of versions) {
      if (version !== newest && !this.#leases.has(version)) await this.store.delete(this.key(version));
    }
  }

  private key(version: number): string {
    return `${this.prefix}${version}`;
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}
