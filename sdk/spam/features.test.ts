import { describe, expect, it } from "vitest";
import { bucketIds, DEFAULT_BUCKETS, featurize } from "./features";

const RAW =
  "From: a@b.c\r\nSubject: Cheap   Meds\r\n  TODAY\r\nReceived: from spamassassin.taint.org\r\n\r\n" +
  "<html><body>Buy <b>now</b>, save $50!<!-- x -->\nvi<!-- hidden -->agra</body></html>";

describe("featurize", () => {
  it("maps a fixed message to fixed bucket ids (golden: changing these invalidates every trained model)", () => {
    const example = featurize({ text: RAW, spam: true });
    expect([...example.ids]).toEqual([
      35123, 36332, 65458, 82080, 86652, 96107, 105207, 153496, 228936, 232337,
    ]);
    expect(example.spam).toBe(true);
    expect([...featurize({ text: RAW, spam: true }, 1024).ids]).toEqual([
      160, 307, 492, 584, 636, 759, 875, 913, 920, 946,
    ]);
  });

  it("gives sorted, distinct ids in [0, buckets), a repeated token once", () => {
    const ids = bucketIds(["b", "a", "b", "c", "a"], 7);
    expect(ids.length).toBe(new Set(ids).size);
    expect([...ids]).toEqual([...ids].sort((x, y) => x - y));
    expect(ids.every((id) => id >= 0 && id < 7)).toBe(true);
    expect(bucketIds(["a", "b", "c"], 7)).toEqual(ids);
  });

  it("defaults to 2^18 buckets", () => {
    expect(DEFAULT_BUCKETS).toBe(262_144);
    expect(bucketIds(["spam"])).toEqual(bucketIds(["spam"], 262_144));
  });

  it("refuses a bucket count that is not an integer in [1, 2^31]", () => {
    for (const buckets of [0, 1.5, 2 ** 31 + 1]) expect(() => bucketIds(["a"], buckets)).toThrow(RangeError);
  });
});
