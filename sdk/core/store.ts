/**
 * Where the client keeps what must survive a restart: its registration, pending updates,
 * cached model weights, the encoder's state, its policy and counters. Adapters implement it
 * over IndexedDB, files or memory (sdk/adapters/). A `set` must be atomic per key: after a
 * crash a key holds either its old or its new value, never a mix, because every record the
 * client writes is self-contained in one key.
 */
export type StoreValue = Uint8Array | string;

export interface Store {
  get(key: string): Promise<StoreValue | undefined>;
  set(key: string, value: StoreValue): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, in any order. */
  keys(prefix: string): Promise<string[]>;
}

/** Keys of one task's state; several clients (one per task) may share a store. */
export function taskKeys(task: string) {
  const root = `fedge/${task}/`;
  return {
    registration: `${root}registration`,
    policy: `${root}policy`,
    stats: `${root}stats`,
    encoderState: `${root}encoder-state`,
    queuePrefix: `${root}queue/`,
    modelPrefix: `${root}model/`,
    graph: `${root}graph`,
  };
}

export type TaskKeys = ReturnType<typeof taskKeys>;

export async function getString(store: Store, key: string): Promise<string | undefined> {
  const value = await store.get(key);
  return typeof value === "string" ? value : undefined;
}

export async function getBytes(store: Store, key: string): Promise<Uint8Array | undefined> {
  const value = await store.get(key);
  return value instanceof Uint8Array ? value : undefined;
}

export async function getJson<T>(store: Store, key: string): Promise<T | undefined> {
  const text = await getString(store, key);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

export function setJson(store: Store, key: string, value: unknown): Promise<void> {
  return store.set(key, JSON.stringify(value));
}
