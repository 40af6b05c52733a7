import { describe, expect, it } from "vitest";
import { mulberry32 } from "../model-init";
import { replayedMovement } from "./replay";

const DIM = 200;

function gaussian(seed: number, sigma = 1): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from(
    { length: DIM },
    () => sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
  );
}

/** Drifts wᵥ − w₀ of a model that moves by a random step per version, versions 0…6. */
function drifts(): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>([[0, new Float32Array(DIM)]]);
  let w = new Float32Array(DIM);
  for (let v = 1; v <= 6; v++) {
    const step = gaussian(v);
    w = w.map((x, j) => x + step[j]!);
    out.set(v, w);
  }
  return out;
}

const minus = (a: Float32Array, b: Float32Array) => a.map((x, j) => x - b[j]!);

describe("replayedMovement (Lin et al. 2019, delta weights)", () => {
  it("flags the model's movement over several versions sent back, which no single-step delta matches", () => {
    const d = drifts();
    // A device assigned version 6 that last saw version 3 sends w₆ − w₃.
    const replay = minus(d.get(6)!, d.get(3)!);
    // Each single step is only 1/√3 of it.
    const lastStep = minus(d.get(6)!, d.get(5)!);
    const stepCosine =
      replay.reduce((s, x, j) => s + x * lastStep[j]!, 0) / Math.hypot(...replay) / Math.hypot(...lastStep);
    expect(stepCosine).toBeLessThan(0.9);

    const verdict = replayedMovement(replay, d, 6);
    expect(verdict).toMatchObject({ kind: "free-rider", suspicious: true });
    expect(verdict.score).toBeCloseTo(1, 5);
    expect(verdict.reason).toMatch(/from version 3 to 6/);
  });

  it("flags a slightly perturbed replay and the one-step delta, scaled or not", () => {
    const d = drifts();
    const replay = minus(d.get(5)!, d.get(4)!).map((x, j) => 3 * x + 0.05 * gaussian(99)[j]!);
    expect(replayedMovement(replay, d, 5)).toMatchObject({ suspicious: true });
  });

  it("spares an update that follows the movement but is the device's own", () => {
    const d = drifts();
    // Where the model went plus as much again of the device's own data.
    const own = minus(d.get(6)!, d.get(4)!).map((x, j) => x + 1.5 * gaussian(7)[j]!);
    const verdict = replayedMovement(own, d, 6);
    expect(verdict.suspicious).toBe(false);
    expect(verdict.score).toBeGreaterThan(0.3);
  });

  it("judges only movements ending at the base version, and nothing when that version is unknown", () => {
    const d = drifts();
    // The movement 5 → 6 replayed, judged as an update based on version 4: a device
    // assigned version 4 cannot know version 6.
    const future = minus(d.get(6)!, d.get(5)!);
    expect(replayedMovement(future, d, 4).suspicious).toBe(false);
    expect(replayedMovement(future, d, 9)).toMatchObject({ suspicious: false, score: 0 });
    expect(replayedMovement(new Float32Array(DIM), d, 6).suspicious).toBe(false);
  });
});
