import { describe, expect, it } from "vitest";
import { splitTrainTest } from "./dataset";
// The .js suffix: tsx takes an extensionless "./x.node" for a native addon; see baseline.node.ts.
import { loadSpamAssassin } from "./dataset.node.js";
import { partitionByLabel } from "./partition";

const messages = loadSpamAssassin();
const spamShare = (xs: { spam: boolean }[]) => xs.filter((m) => m.spam).length / xs.length;

describe("the SpamAssassin corpus", () => {
  it("has 6,046 messages, 1,896 of them spam, with unique ids and their raw text", () => {
    expect(messages.length).toBe(6046);
    expect(messages.filter((m) => m.spam).length).toBe(1896);
    expect(new Set(messages.map((m) => m.id)).size).toBe(6046);
    expect(messages.every((m) => m.spam === m.group.startsWith("spam"))).toBe(true);
    expect(messages[0]!.text).toMatch(/^From /);
  });

  it("splits 4,837 / 1,209 with each group's share, the same on every run", () => {
    const { train, test } = splitTrainTest(messages);
    expect([train.length, test.length]).toEqual([4837, 1209]);
    expect(spamShare(test)).toBeCloseTo(spamShare(messages), 2);
    expect(test.filter((m) => m.group === "hard-ham-1").length).toBe(50);
    expect(splitTrainTest(loadSpamAssassin()).test.map((m) => m.id)).toEqual(test.map((m) => m.id));
  });

  it("partitions the training split into label-skewed shards, the same for the same seed", () => {
    const { train } = splitTrainTest(messages);
    const shards = partitionByLabel(train, { clients: 20, seed: 1 });
    expect(shards.flat().length).toBe(train.length);
    expect(new Set(shards.flat().map((m) => m.id)).size).toBe(train.length);
    const shares = shards.map(spamShare);
    // Dir(0.5 · p) with p ≈ (0.31, 0.69): most shards are nearly all spam or all ham.
    expect(Math.min(...shares)).toBeLessThan(0.05);
    expect(Math.max(...shares)).toBeGreaterThan(0.95);
    expect(shares.filter((q) => q < 0.1 || q > 0.9).length).toBeGreaterThanOrEqual(10);
    expect(partitionByLabel(train, { clients: 20, seed: 1 }).map((s) => s.map((m) => m.id))).toEqual(
      shards.map((s) => s.map((m) => m.id)),
    );
  });
});
