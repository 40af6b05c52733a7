import { describe, expect, it } from "vitest";
import { partitionByLabel } from "./partition";

const items = Array.from({ length: 1000 }, (_, id) => ({ id, spam: id % 10 < 3 }));
const spamShare = (shard: { spam: boolean }[]) => shard.filter((m) => m.spam).length / shard.length;

describe("partitionByLabel", () => {
  it("puts every item in exactly one shard, shards equal in size to within one", () => {
    const shards = partitionByLabel(items.slice(0, 997), { clients: 10, seed: 1 });
    expect(shards.map((s) => s.length)).toEqual([100, 100, 100, 100, 100, 100, 100, 99, 99, 99]);
    expect(
      shards
        .flat()
        .map((m) => m.id)
        .sort((a, b) => a - b),
    ).toEqual(items.slice(0, 997).map((m) => m.id));
  });

  it("is reproducible from the seed", () => {
    const a = partitionByLabel(items, { clients: 10, seed: 5 });
    expect(partitionByLabel(items, { clients: 10, seed: 5 })).toEqual(a);
    expect(partitionByLabel(items, { clients: 10, seed: 6 })).not.toEqual(a);
  });

  it("skews labels more as α falls: α = 100 is near the 30% prior, α = 0.1 nearly one label per shard", () => {
    const iid = partitionByLabel(items, { clients: 10, seed: 2, alpha: 100 }).map(spamShare);
    expect(iid.every((q) => Math.abs(q - 0.3) < 0.15)).toBe(true);
    const skewed = partitionByLabel(items, { clients: 10, seed: 2, alpha: 0.1 }).map(spamShare);
    expect(skewed.filter((q) => q < 0.05 || q > 0.95).length).toBeGreaterThanOrEqual(8);
  });

  it("refuses a bad client count, a non-positive α, or a set missing a label", () => {
    expect(() => partitionByLabel(items, { clients: 0, seed: 1 })).toThrow(RangeError);
    expect(() => partitionByLabel(items, { clients: 2, seed: 1, alpha: 0 })).toThrow(RangeError);
    expect(() =>
      partitionByLabel(
        items.filter((m) => m.spam),
        { clients: 2, seed: 1 },
      ),
    ).toThrow(RangeError);
  });
});
