import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../codecs/random";
import {
  assignWithinBand,
  bandAround,
  featureVector,
  kmeans,
  kmeansPlusPlus,
  squaredDistance,
  type Vector,
} from "./kmeans";

const seeded = (seed: number) => {
  const r = new SeededRandom(seed);
  return () => r.next();
};

/** `n` points around `centre`, within ±`spread` on each axis. */
function blob(centre: Vector, n: number, spread: number, random: () => number): Vector[] {
  return Array.from({ length: n }, () => centre.map((c) => c + (random() - 0.5) * 2 * spread));
}

describe("clustering features", () => {
  it("makes 10 ms of RTT, 1,000 km and a factor of 10 of uplink each one unit", () => {
    const base = featureVector({ rttMs: 20, latitude: 0, longitude: 0, uplinkBytesPerSecond: 1e5 });
    const slower = featureVector({ rttMs: 30, latitude: 0, longitude: 0, uplinkBytesPerSecond: 1e5 });
    // 1,000 km along the equator is 1000/6371 radians of longitude.
    const east = featureVector({
      rttMs: 20,
      latitude: 0,
      longitude: (1000 / 6371) * (180 / Math.PI),
      uplinkBytesPerSecond: 1e5,
    });
    const faster = featureVector({ rttMs: 20, latitude: 0, longitude: 0, uplinkBytesPerSecond: 1e6 });
    expect(Math.sqrt(squaredDistance(base, slower))).toBeCloseTo(1, 9);
    expect(Math.sqrt(squaredDistance(base, east))).toBeCloseTo(1, 2);
    expect(Math.sqrt(squaredDistance(base, faster))).toBeCloseTo(1, 9);
  });

  it("keeps neighbours across the antimeridian close", () => {
    const west = featureVector({ latitude: -17, longitude: 179.9 });
    const east = featureVector({ latitude: -17, longitude: -179.9 });
    expect(Math.sqrt(squaredDistance(west, east))).toBeLessThan(0.03);
  });

  it("fills what a device did not report from the given vector (the region's mean)", () => {
    const fill = [7, 1, 2, 3, 5];
    expect(featureVector({}, fill)).toEqual(fill);
    expect(featureVector({ rttMs: 40 }, fill)).toEqual([4, 1, 2, 3, 5]);
  });
});

describe("k-means", () => {
  const random = seeded(5);
  const centres = [
    [0, 0],
    [20, 0],
    [0, 20],
  ];
  const points = centres.flatMap((c) => blob(c, 10, 1, random));

  it("seeds one centre in each of three far-apart blobs (k-means++)", () => {
    const seeds = kmeansPlusPlus(points, 3, seeded(1));
    const blobs = seeds.map((s) => centres.findIndex((c) => squaredDistance(s, c) < 4));
    expect([...blobs].sort()).toEqual([0, 1, 2]);
  });

  it("recovers the three blobs, one cluster each, with centroids at their means", () => {
    const { assignment, centroids } = kmeans(points, 3, { band: bandAround(10), random: seeded(2) });
    for (let b = 0; b < 3; b++) {
      const labels = new Set(assignment.slice(10 * b, 10 * b + 10));
      expect(labels.size).toBe(1);
    }
    expect(new Set(assignment).size).toBe(3);
    for (const c of centroids) expect(Math.min(...centres.map((x) => squaredDistance(c, x)))).toBeLessThan(1);
  });

  it("keeps every cluster within its band even when the data is lopsided: 24 points in one place, 6 in another", () => {
    const lopsided = [...blob([0, 0], 24, 1, random), ...blob([50, 50], 6, 1, random)];
    const band = bandAround(10); // [5, 15]
    const { assignment } = kmeans(lopsided, 3, { band, random: seeded(3) });
    const sizes = [0, 1, 2].map((c) => assignment.filter((a) => a === c).length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(band.minSize);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(band.maxSize);
    // The far six stay together.
    expect(new Set(assignment.slice(24)).size).toBe(1);
  });

  it("assigns every point exactly once, within the band, for any points and k = ⌈n / target⌉", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: -100, max: 100, noNaN: true }),
            fc.double({ min: -100, max: 100, noNaN: true }),
          ),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 12 }),
        (raw, target) => {
          const pts = raw.map(([x, y]) => [x, y]);
          const band = bandAround(target);
          const k = Math.ceil(pts.length / target);
          const centroids = kmeansPlusPlus(pts, k, seeded(9));
          const assignment = assignWithinBand(pts, centroids, band);
          expect(assignment).toHaveLength(pts.length);
          const sizes = centroids.map((_, c) => assignment.filter((a) => a === c).length);
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(pts.length);
          expect(Math.max(...sizes)).toBeLessThanOrEqual(band.maxSize);
          if (pts.length >= centroids.length * band.minSize)
            expect(Math.min(...sizes)).toBeGreaterThanOrEqual(band.minSize);
        },
      ),
    );
  });

  it("moves no point for nothing: indistinguishable points stay where they are, a point now far nearer another centroid moves", () => {
    const same = Array.from({ length: 25 }, () => [0, 0]);
    const stay = same.map((_, i) => Math.floor(i / 10));
    const centroids = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    expect(assignWithinBand(same, centroids, bandAround(10), stay)).toEqual(stay);
    // Point 0 sits on centroid 1 now; the margin does not keep it at centroid 0, 10 units away.
    const shifted = [[10, 0], ...same.slice(1)];
    const apart = [
      [0, 0],
      [10, 0],
      [0, 0],
    ];
    expect(assignWithinBand(shifted, apart, bandAround(10), stay)[0]).toBe(1);
  });

  it("clusters 10,000 points into 1,000 clusters within the band, with memory for 8 candidates per point", () => {
    const r = seeded(11);
    const many = Array.from({ length: 10_000 }, () => [r() * 100, r() * 100, r() * 10]);
    const band = bandAround(10);
    const { assignment } = kmeans(many, 1000, { band, random: seeded(12), maxIterations: 3 });
    const sizes = new Array<number>(1000).fill(0);
    for (const c of assignment) sizes[c] = (sizes[c] as number) + 1;
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(band.minSize);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(band.maxSize);
  });

  it("refuses more points than k clusters can hold", () => {
    expect(() => assignWithinBand([[0], [1], [2]], [[0]], { minSize: 1, maxSize: 2 })).toThrow(RangeError);
  });
});
