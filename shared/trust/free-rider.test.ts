import { describe, expect, it } from "vitest";
import { mulberry32 } from "../model-init";
import { freeRider } from "./free-rider";

const DIM = 400;

/** Standard normal by Box–Muller, seeded. */
function gaussian(seed: number, sigma: number, dim = DIM): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from(
    { length: dim },
    () => sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
  );
}

/** An honest-looking update: the shared direction on a sparse set of features, plus a little of its own. */
function honest(seed: number, direction: Float32Array): Float32Array {
  const own = gaussian(seed, 0.02);
  const random = mulberry32(seed);
  return direction.map((x, i) => x * (0.8 + 0.4 * random()) + own[i]!);
}

const direction = Float32Array.from({ length: DIM }, (_, i) =>
  i % 10 === 0 ? (i % 20 === 0 ? 1 : -0.5) : 0,
);
const aggregate = honest(100, direction);
const globalDelta = honest(200, direction);
const context = { globalDelta, references: [aggregate], recentNorms: [3.1, 2.9, 3.0, 3.2] };

describe("freeRider (Lin et al. 2019)", () => {
  it("flags a zero update, and one that is zero next to its peers' norms", () => {
    expect(freeRider(new Float32Array(DIM), context)).toMatchObject({ suspicious: true, score: 0 });
    const tiny = direction.map((x) => x * 1e-4);
    expect(freeRider(tiny, context)).toMatchObject({
      suspicious: true,
      reason: expect.stringMatching(/^zero update/),
    });
  });

  it("flags the last global delta replayed, exactly or within tolerance", () => {
    expect(freeRider(globalDelta.slice(), context)).toMatchObject({ suspicious: true, score: 0 });
    const nudged = globalDelta.map((x, i) => x + 0.001 * (i % 2 === 0 ? 1 : -1));
    const v = freeRider(nudged, context);
    expect(v).toMatchObject({
      suspicious: true,
      reason: expect.stringMatching(/^replays the last global delta/),
    });
  });

  it("flags Gaussian noise with an honest-looking norm", () => {
    // σ chosen so the noise's norm (σ√d = 3) matches the honest norms: the disguise Lin et al. describe.
    const v = freeRider(gaussian(5, 3 / Math.sqrt(DIM)), context);
    expect(v).toMatchObject({
      kind: "free-rider",
      suspicious: true,
      reason: expect.stringMatching(/^random noise/),
    });
    expect(v.score).toBeLessThan(3 / Math.sqrt(DIM));
  });

  it("passes honest updates (true negatives)", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const v = freeRider(honest(seed, direction), context);
      expect(v.suspicious, v.reason).toBe(false);
    }
  });

  it("passes a sparse update orthogonal to every reference: it points nowhere known but is not noise-shaped", () => {
    // 40 coordinates of 1, the rest 0: ‖u‖ / (√(π/2)·mean|uᵢ|·√d) = √(d/40) / √(π/2) ≈ 2.5.
    const sparse = Float32Array.from({ length: DIM }, (_, i) => (i % 10 === 5 ? 1 : 0));
    expect(freeRider(sparse, context).suspicious).toBe(false);
  });

  it("passes noise-shaped updates that align with a reference, and judges no noise without references", () => {
    const aligned = gaussian(6, 0.15).map((x, i) => x + 0.15 * aggregate[i]!);
    expect(freeRider(aligned, context).suspicious).toBe(false);
    expect(freeRider(gaussian(5, 0.15), { recentNorms: [3] })).toMatchObject({ suspicious: false, score: 1 });
  });
});
