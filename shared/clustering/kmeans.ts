/**
 * Latency-based clustering of a region's devices (docs/architecture.md#clustering): k-means
 * over normalised features with k-means++ seeding (Arthur and Vassilvitskii, SODA 2007), and
 * an assignment step that respects a size band — each point goes to the nearest centroid
 * that still has room (greedily, closest pairs first, as in balanced k-means), and clusters
 * left below the minimum take the nearest points that others can spare.
 *
 * Features (`featureVector`): one unit is 10 ms of round-trip time, 1,000 km (light in fibre
 * covers about 100 km per millisecond of RTT, so the two scales agree), or a factor of 10 of
 * uplink throughput. Location enters as a point on the Earth's surface in 3-D, so distance
 * does not jump at the antimeridian.
 */

export type Vector = number[];

/** What is known of a device's position on the network; absent values are imputed. */
export interface DeviceFeatures {
  /** Round-trip time to the edge, ms (`request.cf.clientTcpRtt`, or the device's own probe). */
  rttMs?: number | undefined;
  latitude?: number | undefined;
  longitude?: number | undefined;
  uplinkBytesPerSecond?: number | undefined;
}

export const FEATURE_DIMENSIONS = 5;
const RTT_UNIT_MS = 10;
const EARTH_RADIUS_UNITS = 6371 / 1000;

/** The features as a vector; a missing one takes `fill`'s value (e.g. the region's mean). */
export function featureVector(f: DeviceFeatures, fill: Vector | null = null): Vector {
  const at = (i: number, fallback: number) => fill?.[i] ?? fallback;
  const rtt = f.rttMs !== undefined && f.rttMs >= 0 ? f.rttMs / RTT_UNIT_MS : at(0, 0);
  let geo: Vector;
  if (f.latitude !== undefined && f.longitude !== undefined) {
    const [lat, lon] = [(f.latitude * Math.PI) / 180, (f.longitude * Math.PI) / 180];
    geo = [Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), Math.sin(lat)].map(
      (c) => c * EARTH_RADIUS_UNITS,
    );
  } else geo = [at(1, 0), at(2, 0), at(3, 0)];
  const uplink =
    f.uplinkBytesPerSecond !== undefined && f.uplinkBytesPerSecond > 0
      ? Math.log10(f.uplinkBytesPerSecond)
      : at(4, 0);
  return [rtt, ...geo, uplink];
}

export function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return s;
}

export function mean(points: readonly Vector[]): Vector {
  const m = new Array<number>(points[0]?.length ?? 0).fill(0);
  for (const p of points)
    for (let i = 0; i < m.length; i++) m[i] = (m[i] as number) + (p[i] ?? 0) / points.length;
  return m;
}

/**
 * k-means++ seeding: each next centre drawn with probability ∝ squared distance to the
 * nearest centre so far, starting from `chosen` (or one point drawn uniformly).
 */
export function kmeansPlusPlus(
  points: readonly Vector[],
  k: number,
  random: () => number,
  chosen: readonly Vector[] = [],
): Vector[] {
  const centres = chosen.map((c) => [...c]);
  if (points.length === 0) return centres;
  if (centres.length === 0) centres.push([...(points[Math.floor(random() * points.length)] as Vector)]);
  const nearest = points.map((p) => Math.min(...centres.map((c) => squaredDistance(p, c))));
  while (centres.length < k) {
    const total = nearest.reduce((a, b) => a + b, 0);
    let pick = 0;
    if (total > 0) {
      let r = random() * total;
      while (pick < points.length - 1 && r >= (nearest[pick] as number)) r -= nearest[pick++] as number;
    } else pick = centres.length % points.length; // every point sits on a centre: capacity still needs k
    const centre = [...(points[pick] as Vector)];
    centres.push(centre);
    points.forEach((p, i) => {
      nearest[i] = Math.min(nearest[i] as number, squaredDistance(p, centre));
    });
  }
  return centres;
}

export interface Band {
  minSize: number;
  maxSize: number;
}

/** How many of its nearest centroids a point is first offered to. */
const CANDIDATES = 8;

/** The indices of the m smallest values, smallest first (ties: lower index). */
function nearestIndices(values: Float64Array, m: number): number[] {
  const chosen: number[] = [];
  const taken = new Uint8Array(values.length);
  for (let j = 0; j < m; j++) {
    let best = -1;
    for (let i = 0; i < values.length; i++)
      if (!taken[i] && (best === -1 || (values[i] as number) < (values[best] as number))) best = i;
    taken[best] = 1;
    chosen.push(best);
  }
  return chosen;
}

/** A point stays with its current centroid unless another is more than this much closer (squared distance, relative). */
export const STAY_MARGIN = 0.1;

/**
 * Assigns each point to a centroid within the band: closest (point, centroid) pairs first —
 * among each point's 8 nearest centroids, then the nearest with room — a centroid taking
 * points until it holds `maxSize`; then each centroid below `minSize`
 * takes the points that cost least to move from centroids above it. Needs n ≤ k·maxSize
 * (and k·minSize ≤ n for every centroid to reach the minimum). With `stay` (per point, the
 * centroid it is with now, or −1), a point's current centroid counts as STAY_MARGIN closer
 * and wins ties, so re-clustering does not move a device for nothing.
 */
export function assignWithinBand(
  points: readonly Vector[],
  centroids: readonly Vector[],
  band: Band,
  stay: readonly number[] = [],
): number[] {
  const n = points.length;
  const k = centroids.length;
  if (n > k * band.maxSize)
    throw new RangeError(`${n} points do not fit ${k} clusters of at most ${band.maxSize}`);
  // Each point's CANDIDATES nearest centroids, closest pairs first: memory O(n), not O(n·k).
  const m = Math.min(k, CANDIDATES);
  const pairs: { d: number; p: number; c: number; moves: number }[] = [];
  const distances = new Float64Array(k);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < k; c++) {
      const d = squaredDistance(points[p] as Vector, centroids[c] as Vector);
      distances[c] = stay[p] === c ? d * (1 - STAY_MARGIN) : d;
    }
    for (const c of nearestIndices(distances, m))
      pairs.push({ d: distances[c] as number, p, c, moves: stay[p] === c ? 0 : 1 });
  }
  pairs.sort((a, b) => a.d - b.d || a.moves - b.moves || a.p - b.p || a.c - b.c);
  const assignment = new Array<number>(n).fill(-1);
  const sizes = new Array<number>(k).fill(0);
  for (const { p, c } of pairs) {
    if (assignment[p] !== -1 || (sizes[c] as number) >= band.maxSize) continue;
    assignment[p] = c;
    sizes[c] = (sizes[c] as number) + 1;
  }
  // A point whose candidates all filled up: the nearest centroid with room.
  for (let p = 0; p < n; p++) {
    if (assignment[p] !== -1) continue;
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if ((sizes[c] as number) >= band.maxSize) continue;
      const d = squaredDistance(points[p] as Vector, centroids[c] as Vector);
      if (d < bestD) [best, bestD] = [c, d];
    }
    assignment[p] = best;
    sizes[best] = (sizes[best] as number) + 1;
  }
  // Undersized clusters take, from clusters above the minimum, the points whose distance grows least.
  for (let c = 0; c < k; c++) {
    while ((sizes[c] as number) < band.minSize) {
      let best = -1;
      let bestD = Number.POSITIVE_INFINITY;
      for (let p = 0; p < n; p++) {
        const from = assignment[p] as number;
        if (from === c || (sizes[from] as number) <= band.minSize) continue;
        const d =
          squaredDistance(points[p] as Vector, centroids[c] as Vector) -
          squaredDistance(points[p] as Vector, centroids[from] as Vector);
        if (d < bestD) [best, bestD] = [p, d];
      }
      if (best === -1) break; // nothing to spare: n < k·minSize
      sizes[assignment[best] as number] = (sizes[assignment[best] as number] as number) - 1;
      assignment[best] = c;
      sizes[c] = (sizes[c] as number) + 1;
    }
  }
  return assignment;
}

export interface Clustering {
  centroids: Vector[];
  assignment: number[];
  iterations: number;
}

/**
 * Lloyd's iterations from `initial` centroids (topped up to k by k-means++), each assignment
 * within the band, until no point moves or `maxIterations`. A centroid left with no points
 * keeps its place.
 */
export function kmeans(
  points: readonly Vector[],
  k: number,
  options: {
    band: Band;
    random: () => number;
    initial?: readonly Vector[];
    /** Per point, the index in `initial` of the centroid it is with now (−1: none). */
    stay?: readonly number[];
    maxIterations?: number;
  },
): Clustering {
  let centroids = kmeansPlusPlus(points, k, options.random, options.initial?.slice(0, k) ?? []);
  let assignment: number[] = [];
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 50); iterations++) {
    const next = assignWithinBand(points, centroids, options.band, options.stay);
    const moved = next.some((c, i) => c !== assignment[i]);
    assignment = next;
    // Each centroid moves to its members' mean, in one pass over the points.
    const sums = centroids.map((c) => new Array<number>(c.length).fill(0));
    const counts = new Array<number>(centroids.length).fill(0);
    points.forEach((p, i) => {
      const j = assignment[i] as number;
      const sum = sums[j] as number[];
      for (let d = 0; d < sum.length; d++) sum[d] = (sum[d] as number) + (p[d] ?? 0);
      counts[j] = (counts[j] as number) + 1;
    });
    centroids = centroids.map((c, j) =>
      (counts[j] as number) > 0 ? (sums[j] as number[]).map((x) => x / (counts[j] as number)) : c,
    );
    if (!moved) break;
  }
  return { centroids, assignment, iterations };
}

/** The size band around a target: [⌈target/2⌉, ⌊3·target/2⌋]. */
export function bandAround(targetSize: number): Band {
  return {
    minSize: Math.max(1, Math.ceil(targetSize / 2)),
    maxSize: Math.max(1, Math.floor((3 * targetSize) / 2)),
  };
}
