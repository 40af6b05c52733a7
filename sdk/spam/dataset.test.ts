import { describe, expect, it } from "vitest";
import { splitTrainTest } from "./dataset";

const messages = Array.from({ length: 1000 }, (_, i) => ({
  id: i,
  group: i < 700 ? "ham" : i < 950 ? "spam" : "hard",
}));
const ids = (xs: { id: number }[]) => xs.map((m) => m.id);

describe("splitTrainTest", () => {
  it("holds out 20% of every group, each message in exactly one half, input order kept", () => {
    const { train, test } = splitTrainTest(messages, { seed: 3 });
    const count = (xs: typeof messages, group: string) => xs.filter((m) => m.group === group).length;
    expect([count(test, "ham"), count(test, "spam"), count(test, "hard")]).toEqual([140, 50, 10]);
    expect([...ids(train), ...ids(test)].sort((a, b) => a - b)).toEqual(ids(messages));
    expect(ids(train)).toEqual([...ids(train)].sort((a, b) => a - b));
    expect(ids(test)).toEqual([...ids(test)].sort((a, b) => a - b));
  });

  it("is reproducible from the seed, which defaults to SPLIT_SEED", () => {
    const a = splitTrainTest(messages, { seed: 3 });
    expect(splitTrainTest(messages, { seed: 3 })).toEqual(a);
    expect(splitTrainTest(messages, { seed: 4 }).test).not.toEqual(a.test);
    expect(splitTrainTest(messages)).toEqual(splitTrainTest(messages, { seed: 1 }));
  });

  it("takes another test fraction, and refuses one outside (0, 1)", () => {
    expect(splitTrainTest(messages, { seed: 3, testFraction: 0.5 }).test.length).toBe(500);
    for (const testFraction of [0, 1, Number.NaN]) {
      expect(() => splitTrainTest(messages, { seed: 3, testFraction })).toThrow(RangeError);
    }
  });
});
