import { describe, expect, it } from "vitest";
import { parseTaskConfig } from "../protocol/task-config";
import { assignedCompression } from "./schedule";

const model = { parameters: 1, layout: [{ name: "w", shape: [1], offset: 0 }] };
const compression = (input: object) => parseTaskConfig({ model, compression: input }).compression;

describe("the compression schedule", () => {
  it("assigns the configured level at every version when fixed (the default)", () => {
    const fixed = compression({ density: 0.01, bits: 8 });
    expect([0, 1, 1000].map((v) => assignedCompression(fixed, v))).toEqual(
      Array(3).fill({ density: 0.01, bits: 8 }),
    );
  });

  it("decays exponentially to the floor over the warm-up: 0.01 over 4 versions is 10^-0.5, 10^-1, 10^-1.5, then 0.01 from version 3 on", () => {
    const decay = compression({
      density: 0.01,
      bits: 8,
      schedule: { kind: "exponential-decay", warmupVersions: 4 },
    });
    const densities = [0, 1, 2, 3, 4, 50].map((v) => assignedCompression(decay, v).density);
    [10 ** -0.5, 0.1, 10 ** -1.5, 0.01, 0.01, 0.01].forEach((d, i) => {
      expect(densities[i]).toBeCloseTo(d, 12);
    });
    expect(assignedCompression(decay, 0).bits).toBe(8);
  });

  it("refuses a warm-up of less than one version, naming the field", () => {
    expect(() => compression({ schedule: { kind: "exponential-decay", warmupVersions: 0 } })).toThrow(
      /compression\.schedule\.warmupVersions/,
    );
  });
});
