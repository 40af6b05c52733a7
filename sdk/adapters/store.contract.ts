/** What every Store adapter promises (sdk/core/store.ts), checked against each one. */
import { describe, expect, it } from "vitest";
import type { Store } from "../core/store";

export function describeStoreContract(name: string, makeStore: () => Promise<Store> | Store): void {
  describe(`${name} (Store contract)`, () => {
    it("returns undefined for a key never set", async () => {
      const store = await makeStore();
      expect(await store.get("fedge/demo/none")).toBeUndefined();
    });

    it("gives back strings as strings and bytes as bytes", async () => {
      const store = await makeStore();
      await store.set("fedge/demo/text", "héllo ✓");
      await store.set("fedge/demo/bytes", Uint8Array.of(0, 1, 255));
      expect(await store.get("fedge/demo/text")).toBe("héllo ✓");
      const bytes = await store.get("fedge/demo/bytes");
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect([...(bytes as Uint8Array)]).toEqual([0, 1, 255]);
    });

    it("replaces a value, including a string by bytes", async () => {
      const store = await makeStore();
      await store.set("k", "first");
      await store.set("k", Uint8Array.of(7));
      expect([...((await store.get("k")) as Uint8Array)]).toEqual([7]);
    });

    it("keeps a stored value safe from later changes to the array it was set from", async () => {
      const store = await makeStore();
      const bytes = Uint8Array.of(1, 2);
      await store.set("k", bytes);
      bytes[0] = 9;
      expect([...((await store.get("k")) as Uint8Array)]).toEqual([1, 2]);
    });

    it("deletes a key, and deleting a missing key is not an error", async () => {
      const store = await makeStore();
      await store.set("k", "v");
      await store.delete("k");
      await store.delete("never-set");
      expect(await store.get("k")).toBeUndefined();
    });

    it("lists exactly the keys under a prefix, whatever characters they contain", async () => {
      const store = await makeStore();
      const keys = [
        "fedge/a/queue/000000000001",
        "fedge/a/queue/000000000002",
        "fedge/a/model/3",
        "fedge/ab/queue/x",
      ];
      for (const key of [...keys, "fedge/a/.", "fedge/a/..", "odd %2E key?.tmp"]) await store.set(key, "v");
      expect((await store.keys("fedge/a/queue/")).sort()).toEqual(keys.slice(0, 2));
      expect((await store.keys("fedge/a/")).sort()).toEqual(
        ["fedge/a/.", "fedge/a/..", ...keys.slice(0, 3)].sort(),
      );
      expect(await store.keys("odd")).toEqual(["odd %2E key?.tmp"]);
      expect(await store.keys("none/")).toEqual([]);
    });
  });
}
