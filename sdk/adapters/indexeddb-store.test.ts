import { describe, expect, it } from "vitest";
import { FedgeUnsupportedError } from "../core/errors";
import { IndexedDbStore } from "./indexeddb-store";

describe("IndexedDbStore", () => {
  it("refuses to be created where there is no IndexedDB (Node), naming the store to use instead", () => {
    expect(typeof (globalThis as { indexedDB?: unknown }).indexedDB).toBe("undefined");

    let thrown: unknown;
    try {
      new IndexedDbStore();
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(FedgeUnsupportedError);
    expect((thrown as Error).message).toMatch(/IndexedDB is not available here: in Node use FileStore/);
  });
});
