import { describe, expect, it } from "vitest";
import { parseRobust, robustName } from "./robust-option";

describe("parseRobust", () => {
  it("reads each aggregator's parameters in the task config's names", () => {
    expect(parseRobust("mean")).toEqual({ kind: "mean" });
    expect(parseRobust("median")).toEqual({ kind: "median" });
    expect(parseRobust("trimmed-mean:0.2")).toEqual({ kind: "trimmed-mean", beta: 0.2 });
    expect(parseRobust("krum:2")).toEqual({ kind: "krum", f: 2 });
    expect(parseRobust("multi-krum:2:5")).toEqual({ kind: "multi-krum", f: 2, m: 5 });
    expect(parseRobust("bulyan:1")).toEqual({ kind: "bulyan", f: 1 });
  });

  it("names the parameter a spec lacks or gets wrong", () => {
    expect(() => parseRobust("trimmed-mean")).toThrow("trimmed-mean takes beta");
    expect(() => parseRobust("krum:x")).toThrow('f must be a number, got "x"');
    expect(() => parseRobust("mean:1")).toThrow("mean takes no parameters");
    expect(() => parseRobust("average")).toThrow('unknown aggregator "average"');
  });

  it("round-trips through robustName", () => {
    for (const spec of ["mean", "trimmed-mean:0.1", "multi-krum:1:3"])
      expect(robustName(parseRobust(spec))).toBe(spec);
  });
});
