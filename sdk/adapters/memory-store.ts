/** A Store in memory: for tests, and for clients that need not survive a restart. */
import type { Store, StoreValue } from "../core/store";

export class MemoryStore implements Store {
  readonly #values = new Map<string, StoreValue>();

  async get(key: string): Promise<StoreValue | undefined> {
    const value = this.#values.get(key);
    // Copies in and out, as a real store would: callers cannot alter what is stored.
    return value instanceof Uint8Array ? value.slice() : value;
  }

  async set(key: string, value: StoreValue): Promise<void> {
    this.#values.set(key, value instanceof Uint8Array ? value.slice() : value);
  }

  async delete(key: string): Promise<void> {
    this.#values.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#values.keys()].filter((key) => key.startsWith(prefix));
  }
}
