/**
 * A Store in the browser's IndexedDB (web-standard, no library): one object store of
 * key → value, where values are strings or Uint8Arrays (both structured-cloneable). Each
 * operation is its own transaction and resolves when the transaction completes, i.e. once
 * the write is durable, not merely queued.
 */
import { FedgeUnsupportedError } from "../core/errors";
import type { Store, StoreValue } from "../core/store";

// The few IndexedDB types used here, declared structurally: the project compiles against
// the Workers types, which have no IndexedDB, and browsers' lib.dom types satisfy these.
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}

interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  getAllKeys(): IdbRequest<unknown[]>;
}

interface IdbTransaction {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

interface IdbDatabase {
  createObjectStore(name: string): unknown;
  transaction(storeName: string, mode: "readonly" | "readwrite"): IdbTransaction;
}

export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
}

const OBJECT_STORE = "kv";

export class IndexedDbStore implements Store {
  #db: Promise<IdbDatabase> | undefined;

  readonly #factory: IdbFactory;

  /** `factory` defaults to the page's `indexedDB`; without one (Node, some private modes) this throws FedgeUnsupportedError. */
  constructor(
    private readonly databaseName = "fedge",
    factory?: IdbFactory,
  ) {
    const found = factory ?? (globalThis as { indexedDB?: IdbFactory }).indexedDB;
    if (typeof found?.open !== "function") {
      throw new FedgeUnsupportedError(
        "IndexedDB is not available here: in Node use FileStore (sdk/adapters/file-store.node.js), " +
          "elsewhere a Store of your platform's",
      );
    }
    this.#factory = found;
  }

  async get(key: string): Promise<StoreValue | undefined> {
    const value = await this.run("readonly", (s) => s.get(key));
    return typeof value === "string" || value instanceof Uint8Array ? value : undefined;
  }

  async set(key: string, value: StoreValue): Promise<void> {
    await this.run("readwrite", (s) => s.put(value, key));
  }

  async delete(key: string): Promise<void> {
    await this.run("readwrite", (s) => s.delete(key));
  }

  async keys(prefix: string): Promise<string[]> {
    const keys = await this.run("readonly", (s) => s.getAllKeys());
    return (keys as unknown[]).filter((k): k is string => typeof k === "string" && k.startsWith(prefix));
  }

  /** Runs one request in its own transaction; resolves with its result when the transaction commits. */
  private async run<T>(
    mode: "readonly" | "readwrite",
    op: (store: IdbObjectStore) => IdbRequest<T>,
  ): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(OBJECT_STORE, mode);
      const request = op(tx.objectStore(OBJECT_STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  private open(): Promise<IdbDatabase> {
    this.#db ??= new Promise<IdbDatabase>((resolve, reject) => {
      const request = this.#factory.open(this.databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.#db;
  }
}
