/**
 * A Store in a directory, for Node: one file per key. A write goes to a temporary file,
 * is flushed to disk, and is renamed over the key's file; rename is atomic on POSIX and
 * NTFS, so after a crash a key holds its old value or its new one, never a torn mix.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store, StoreValue } from "../core/store";

// The first byte of each file says what the value is, so that strings come back as strings.
const BYTES = 0;
const TEXT = 1;
const TEMP_SUFFIX = ".tmp";

/**
 * File names are the keys percent-encoded, with "." encoded too: no key can then name
 * ".", "..", or a temporary file (which alone ends in ".tmp").
 */
function fileName(key: string): string {
  return encodeURIComponent(key).replaceAll(".", "%2E");
}

export class FileStore implements Store {
  #ready: Promise<unknown> | undefined;

  constructor(private readonly dir: string) {}

  async get(key: string): Promise<StoreValue | undefined> {
    let data: Uint8Array;
    try {
      data = await readFile(join(this.dir, fileName(key)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const body = data.subarray(1);
    return data[0] === TEXT ? new TextDecoder().decode(body) : Uint8Array.from(body);
  }

  async set(key: string, value: StoreValue): Promise<void> {
    await this.ready();
    const body = typeof value === "string" ? new TextEncoder().encode(value) : value;
    const data = new Uint8Array(1 + body.byteLength);
    data[0] = typeof value === "string" ? TEXT : BYTES;
    data.set(body, 1);
    const target = join(this.dir, fileName(key));
    const temp = `${target}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`;
    const file = await open(temp, "w");
    try {
      await file.writeFile(data);
      // Without it, a power cut after the rename can leave the new name pointing at no data.
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.dir, fileName(key)), { force: true });
  }

  async keys(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    // Temporary files left by a crash mid-write are not keys; they are ignored, not removed,
    // because one may belong to a write still in progress.
    return names
      .filter((name) => !name.endsWith(TEMP_SUFFIX))
      .map((name) => decodeURIComponent(name))
      .filter((key) => key.startsWith(prefix));
  }

  private ready(): Promise<unknown> {
    this.#ready ??= mkdir(this.dir, { recursive: true });
    return this.#ready;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === "ENOENT";
}
