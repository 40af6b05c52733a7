import { describe, expect, it } from "vitest";
import { MemoryStore } from "../adapters/memory-store";
import { UpdateQueue } from "./queue";

const PREFIX = "fedge/demo/queue/";
const meta = (updateId: string) => ({ updateId, baseVersion: 1, examples: 5, url: "/u", createdAt: 0 });

describe("UpdateQueue", () => {
  it("hands updates back oldest first, with their frames, until removed", async () => {
    // Prepare
    const queue = new UpdateQueue(new MemoryStore(), PREFIX);
    const a = await queue.add(meta("a".repeat(32)), Uint8Array.of(1));
    const b = await queue.add(meta("b".repeat(32)), Uint8Array.of(2));

    // Execute
    await queue.remove(a.seq);

    // Assert
    expect(await queue.seqs()).toEqual([b.seq]);
    expect(await queue.get(b.seq)).toEqual({ ...meta("b".repeat(32)), seq: b.seq, frame: Uint8Array.of(2) });
    expect(await queue.get(a.seq)).toBeUndefined();
    expect(await queue.size()).toBe(1);
  });

  it("survives a restart: a new queue over the same store finds the updates and numbers after them", async () => {
    // Prepare
    const store = new MemoryStore();
    const first = new UpdateQueue(store, PREFIX);
    await first.add(meta("a".repeat(32)), Uint8Array.of(1));
    const b = await first.add(meta("b".repeat(32)), Uint8Array.of(2));

    // Execute
    const second = new UpdateQueue(store, PREFIX);
    const c = await second.add(meta("c".repeat(32)), Uint8Array.of(3));

    // Assert
    expect(c.seq).toBe(b.seq + 1);
    const ids = [];
    for (const seq of await second.seqs()) ids.push((await second.get(seq))?.updateId[0]);
    expect(ids).toEqual(["a", "b", "c"]);
  });

  it("keeps queue order past nine updates (keys sort as numbers)", async () => {
    const queue = new UpdateQueue(new MemoryStore(), PREFIX);
    for (let i = 0; i < 12; i++) await queue.add(meta(i.toString(16).padStart(32, "0")), new Uint8Array());
    const seqs = await queue.seqs();
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect((await queue.get(seqs[11]!))?.updateId).toBe("b".padStart(32, "0"));
  });
});
