import { describe, expect, it } from "vitest";
import { parseTaskConfig } from "../protocol/task-config";
import { nextShift, type QualityPolicy } from "./quality";
import { assignedCompression } from "./schedule";

const model = { parameters: 1, layout: [{ name: "w", shape: [1], offset: 0 }] };
const config = parseTaskConfig({
  model,
  compression: { density: 0.01, bits: 8, quality: { kind: "loss-window", window: 4 } },
});
const policy = config.compression.quality as QualityPolicy;

/** The shift after each version of a loss curve, starting from 1. */
function shifts(losses: number[]): number[] {
  let shift = 1;
  return losses.map((_, i) => (shift = nextShift(shift, losses.slice(0, i + 1), policy)));
}

describe("quality-aware compression", () => {
  it("leaves the level alone while fewer versions than the window are evaluated, and while the loss falls", () => {
    expect(shifts([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("doubles the density on a stall or a rise, up to maxShift (16)", () => {
    expect(shifts([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])).toEqual([1, 1, 1, 2, 4, 8, 16, 16]);
    expect(shifts([0.5, 0.5, 0.6, 0.7])).toEqual([1, 1, 1, 2]);
  });

  it("relaxes back toward 1 once the loss recovers, halving per version", () => {
    // Stalls for three versions (shift 8), then falls steadily.
    const curve = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
    expect(shifts(curve)).toEqual([1, 1, 1, 2, 4, 8, 4, 2, 1, 1, 1]);
  });

  it("counts a fall smaller than the tolerance (1%) as a stall", () => {
    expect(nextShift(1, [1, 1, 0.995, 0.995], policy)).toBe(2);
    expect(nextShift(1, [1, 1, 0.98, 0.98], policy)).toBe(1);
  });

  it("multiplies the assigned density, never past dense", () => {
    expect(assignedCompression(config.compression, 0, 4)).toEqual({ density: 0.04, bits: 8 });
    expect(assignedCompression(config.compression, 0, 1000).density).toBe(1);
  });
});
