/**
 * One object per task × region: places newly registered devices in clusters by latency and
 * keeps their evaluation reports (docs/architecture.md#clustering). A newcomer joins the
 * nearest cluster with room (features: RTT, location, uplink — shared/clustering/kmeans.ts),
 * or opens a new one when the region needs more clusters and none is near; an alarm, some
 * time after registrations, re-clusters the region by k-means within the size band, seeded
 * from the current centroids, and tells each cluster which of its members move where. A
 * moved device learns it at its next check-in (its old cluster hands it over, the edge
 * issues a token for the new one). Check-ins go to the device's own cluster; nothing per
 * device passes here after registration.
 */
import { DurableObject } from "cloudflare:workers";
import {
  bandAround,
  type DeviceFeatures,
  featureVector,
  kmeans,
  mean,
  squaredDistance,
  type Vector,
} from "../shared/clustering/kmeans";
import { nextSizeFactor, sizedTarget } from "../shared/clustering/sizing";
import { SeededRandom } from "../shared/codecs/random";
import { FedgeError } from "../shared/errors";
import type { Region } from "../shared/regions";
import { attempt, type Result } from "../shared/result";
import { innerLevels, treeNodesOver } from "./identities";
import { Meta } from "./storage/meta";
import { addColumn } from "./storage/schema";
import { clusterStub, coordinatorStub, treeNodeStub } from "./stubs";

export interface DirectoryTask {
  task: string;
  region: Region;
  clusterSize: number;
  coordinatorRegion: Region;
  /** How long after a registration the region is re-clustered (0: never). */
  reclusterSeconds: number;
  /** The most children a node of the region's aggregation tree may have. */
  fanIn: number;
  /** How long a cluster waits for its members before sealing (automatic sizing compares with it). */
  clusterWaitSeconds: number;
  /** This directory's shard of the region, of `shards`: its clusters' indices are ≡ shard (mod shards). */
  shard: number;
  shards: number;
}

/** An uneven region is re-clustered within this long, whatever `reclusterSeconds` says. */
const REBALANCE_SOON_SECONDS = 30;

/**
 * The max/mean cluster size past which a region is rebalanced early: 2 for a region of
 * a few clusters (where a spare one is expected to be small), down to 1.25 as it grows
 * (1 + 2/√clusters, within [1.25, 2]).
 */
export function rebalanceThreshold(clusters: number): number {
  return Math.min(2, Math.max(1.25, 1 + 2 / Math.sqrt(Math.max(1, clusters))));
}

/** A newcomer opens a new cluster (when the region may have one more) if the nearest is farther than this, in feature units (10 ms, 1,000 km). */
const OPEN_DISTANCE = 1;

export interface Registration {
  deviceId: string;
  cluster: number;
}

export interface EvaluationReport {
  version: number;
  loss: number;
  accuracy: number;
  examples: number;
}

export type EvaluationTotals = {
  version: number;
  examples: number;
  lossSum: number;
  accuracySum: number;
  reports: number;
};

/** How a region's devices are spread: for monitoring. */
export interface RegionShape {
  clusters: number;
  devices: number;
  /** Registered devices in the fullest cluster. */
  maxClusterSize: number;
  /** Registered devices in the emptiest cluster that has any. */
  minClusterSize: number;
  /** Re-clusterings run, and devices they moved. */
  reclusterings: number;
  moved: number;
  /** Levels of inner aggregators between the clusters and the region's root, and the most children any node has. */
  innerLevels: number;
  maxFanIn: number;
  /** The cluster size the region aims at now: clusters.targetSize, moved by automatic sizing. */
  targetSize: number;
}

export class Directory extends DurableObject<Env> {
  readonly #meta: Meta;
  #cache: { idx: number; members: number; centroid: Vector }[] | null = null;
  #taskJson: string | undefined;
  #alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.#meta = new Meta(sql);
    sql.exec(
      "CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, cluster INTEGER NOT NULL, registered_at INTEGER NOT NULL)",
    );
    // Added with latency clustering: older devices have no features (they count as the region's mean).
    addColumn(sql, "devices", "features", "TEXT");
    sql.exec(`CREATE TABLE IF NOT EXISTS evaluations (
      device TEXT NOT NULL, version INTEGER NOT NULL, loss REAL NOT NULL, accuracy REAL NOT NULL,
      examples INTEGER NOT NULL, PRIMARY KEY (device, version))`);
    sql.exec("CREATE TABLE IF NOT EXISTS clusters (idx INTEGER PRIMARY KEY, members INTEGER NOT NULL)");
    addColumn(sql, "clusters", "centroid", "TEXT");
    sql.exec("CREATE TABLE IF NOT EXISTS noted (id INTEGER PRIMARY KEY CHECK (id = 0))");
  }

  /**
   * Places a new device in the nearest cluster with room, or in a new cluster when the
   * nearest is farther than OPEN_DISTANCE and the region has at most ⌈devices / target⌉
   * clusters (one spare: the next re-clustering merges what is too small).
   * Registration has one external step — telling the coordinator, once, that this region
   * exists (it gathers evaluations per region) — and it comes first: if it fails, nothing
   * is written and the device may simply register again. The placement itself is one
   * transaction, so no failure leaves a half-registered device. The clusters and the region
   * configure themselves from the first messages they get.
   */
  async register(t: DirectoryTask, features: DeviceFeatures = {}): Promise<Registration> {
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM noted").toArray().length === 0) {
      await coordinatorStub(this.env, t.task, t.coordinatorRegion).noteRegion(t.region);
      sql.exec("INSERT OR IGNORE INTO noted (id) VALUES (0)");
    }
    const deviceId = crypto.randomUUID();
    const clusters = this.#clusters();
    const placed = this.ctx.storage.transactionSync(() => {
      const json = JSON.stringify(t);
      if (json !== this.#taskJson) {
        this.#meta.set("task", t);
        this.#taskJson = json;
      }
      const devices = clusters.reduce((n, c) => n + c.members, 0);
      const v = featureVector(features, regionMean(clusters));
      let nearest: { idx: number; members: number; centroid: Vector; d: number } | null = null;
      const target = this.#target(t);
      for (const c of clusters) {
        if (c.members >= target) continue;
        const d = Math.sqrt(squaredDistance(v, c.centroid));
        if (nearest === null || d < nearest.d) nearest = { ...c, d };
      }
      // One cluster more than the devices need may be open, for a newcomer far from all the others.
      const mayOpen = clusters.length < Math.ceil((devices + 1) / target) + 1;
      let idx: number;
      let centroid: Vector;
      if (nearest === null || (mayOpen && nearest.d > OPEN_DISTANCE)) {
        // The lowest free index of this shard's: the tree is addressed by index (identities.ts).
        idx = lowestFree(new Set(clusters.map((c) => c.idx)), t);
        centroid = v;
      } else {
        idx = nearest.idx;
        // The running mean of its members' features.
        centroid = nearest.centroid.map((c, i) => c + ((v[i] ?? 0) - c) / (nearest.members + 1));
      }
      sql.exec(
        `INSERT INTO clusters (idx, members, centroid) VALUES (?1, 1, ?2)
         ON CONFLICT (idx) DO UPDATE SET members = members + 1, centroid = ?2`,
        idx,
        JSON.stringify(centroid),
      );
      sql.exec(
        "INSERT INTO devices (id, cluster, registered_at, features) VALUES (?, ?, ?, ?)",
        deviceId,
        idx,
        Date.now(),
        JSON.stringify(v),
      );
      return { idx, centroid };
    });
    // The cache follows the committed transaction.
    const entry = clusters.find((c) => c.idx === placed.idx);
    if (entry) {
      entry.members += 1;
      entry.centroid = placed.centroid;
    } else clusters.push({ idx: placed.idx, members: 1, centroid: placed.centroid });
    await this.#reportTree(t);
    if (t.reclusterSeconds > 0) await this.#scheduleRecluster(t, clusters);
    return { deviceId, cluster: placed.idx };
  }

  /**
   * Re-clustering runs `reclusterSeconds` after a registration — sooner (within
   * REBALANCE_SOON_SECONDS) when the clusters have grown uneven: the fullest holds more than
   * rebalanceThreshold(clusters) times the mean, a bound that tightens as the region grows.
   */
  async #scheduleRecluster(t: DirectoryTask, clusters: readonly { members: number }[]): Promise<void> {
    const soon = Date.now() + Math.min(t.reclusterSeconds, REBALANCE_SOON_SECONDS) * 1000;
    const mean = clusters.reduce((n, c) => n + c.members, 0) / Math.max(1, clusters.length);
    const uneven =
      Math.max(0, ...clusters.map((c) => c.members)) > rebalanceThreshold(clusters.length) * mean;
    if (this.#alarmSet && !uneven) return;
    const at = await this.ctx.storage.getAlarm();
    if (at === null) await this.ctx.storage.setAlarm(uneven ? soon : Date.now() + t.reclusterSeconds * 1000);
    else if (uneven && at > soon) await this.ctx.storage.setAlarm(soon);
    this.#alarmSet = true;
  }

  /** The target size now: clusters.targetSize times the sizing factor. */
  #target(t: DirectoryTask): number {
    return sizedTarget(t.clusterSize, this.#meta.get<number>("sizeFactor") ?? 1);
  }

  /**
   * Automatic sizing (shared/clustering/sizing.ts), at each re-clustering: how the clusters
   * filled since the last one, from the tree nodes their partials reach (the root, or the
   * first inner level), moves the factor on the target. A node that cannot be asked counts
   * for nothing this time.
   */
  async #resize(t: DirectoryTask): Promise<number> {
    const { nodes } = await this.treeNodes();
    const levelOne = nodes.filter((n) => n?.level === 1);
    const fromClusters = levelOne.length > 0 ? levelOne : [null];
    const total = { fillSum: 0, fillCount: 0, waitSum: 0, waitCount: 0 };
    for (const node of fromClusters) {
      const s = await treeNodeStub(this.env, { task: t.task, region: t.region, node })
        .takeSealStats()
        .catch(() => null);
      if (!s) continue;
      total.fillSum += s.fillSum;
      total.fillCount += s.fillCount;
      total.waitSum += s.waitSum;
      total.waitCount += s.waitCount;
    }
    const factor = nextSizeFactor(this.#meta.get<number>("sizeFactor") ?? 1, total, t.clusterWaitSeconds);
    this.#meta.set("sizeFactor", factor);
    return sizedTarget(t.clusterSize, factor);
  }

  /** Cluster indices in use: the tree is addressed by index, so it spans up to the highest. */
  #indexSpan(): number {
    return this.#clusters().reduce((top, c) => Math.max(top, c.idx), -1) + 1;
  }

  /**
   * Tells the coordinator when the region's tree gains or loses a level (edges address
   * clusters' parents from its task view). Remembered only once told, so a failed call is
   * made again at the next registration or re-clustering.
   */
  async #reportTree(t: DirectoryTask): Promise<void> {
    const levels = innerLevels(this.#indexSpan(), t.fanIn);
    if ((this.#meta.get<number>("treeLevels") ?? 0) === levels) return;
    await coordinatorStub(this.env, t.task, t.coordinatorRegion).noteTreeLevels(t.region, levels, t.shard);
    this.#meta.set("treeLevels", levels);
  }

  /** The clusters with members, read once per object lifetime (or re-clustering) and kept in step with each registration. */
  #clusters(): { idx: number; members: number; centroid: Vector }[] {
    this.#cache ??= this.ctx.storage.sql
      .exec<{ idx: number; members: number; centroid: string | null }>(
        "SELECT idx, members, centroid FROM clusters WHERE members > 0 ORDER BY idx",
      )
      .toArray()
      .map((c) => ({
        idx: c.idx,
        members: c.members,
        centroid: c.centroid ? (JSON.parse(c.centroid) as Vector) : [],
      }));
    return this.#cache;
  }

  /** Re-clusters the region (the alarm a registration set). */
  override async alarm(): Promise<void> {
    this.#alarmSet = false;
    const t = this.#meta.get<DirectoryTask>("task");
    if (t) await this.recluster(t);
  }

  /**
   * k-means over the region's devices, k = ⌈devices / target⌉, every cluster within the
   * band [⌈target/2⌉, ⌊3·target/2⌋], seeded from the current centroids (largest first) so
   * a stable population barely moves. Each new cluster keeps the index of the old one it
   * shares most devices with. Each old cluster is told its movers before the directory
   * records them; a cluster that cannot be told keeps its members until the next time.
   */
  async recluster(t: DirectoryTask): Promise<{ moved: number }> {
    const sql = this.ctx.storage.sql;
    const clusters = this.#clusters();
    const fill = regionMean(clusters);
    const devices = sql
      .exec<{ id: string; cluster: number; features: string | null }>(
        "SELECT id, cluster, features FROM devices ORDER BY id",
      )
      .toArray();
    if (devices.length === 0) return { moved: 0 };
    const target = await this.#resize(t);
    const points = devices.map((d) =>
      d.features ? (JSON.parse(d.features) as Vector) : (fill ?? [0, 0, 0, 0, 0]),
    );
    const k = Math.ceil(devices.length / target);
    // Seeded from the current clusters, largest first; a device prefers to stay where it is.
    const seeds = [...clusters]
      .filter((c) => c.centroid.length === points[0]?.length)
      .sort((a, b) => b.members - a.members || a.idx - b.idx)
      .slice(0, k);
    const seat = new Map(seeds.map((c, j) => [c.idx, j]));
    const random = new SeededRandom(devices.length);
    const { assignment, centroids } = kmeans(points, k, {
      band: bandAround(target),
      random: () => random.next(),
      initial: seeds.map((c) => c.centroid),
      stay: devices.map((d) => seat.get(d.cluster) ?? -1),
    });
    // Name each new cluster after the old one it overlaps most (greedily, largest overlaps first).
    const overlap = new Map<string, number>();
    assignment.forEach((j, i) => {
      const key = `${j}:${devices[i]?.cluster}`;
      overlap.set(key, (overlap.get(key) ?? 0) + 1);
    });
    const names = new Map<number, number>();
    const taken = new Set<number>();
    for (const [key] of [...overlap].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
      const [j, old] = key.split(":").map(Number) as [number, number];
      if (names.has(j) || taken.has(old)) continue;
      names.set(j, old);
      taken.add(old);
    }
    // An old index past what k clusters need would keep a tree level the region no longer
    // needs: that cluster gives its index up. A new cluster takes the lowest free index of
    // this shard's, so the tree, addressed by index, shrinks as the region empties.
    const capacity = t.fanIn ** (innerLevels(centroids.length * t.shards, t.fanIn) + 1);
    for (const [j, name] of names) if (name >= capacity) names.delete(j);
    const used = new Set(names.values());
    for (let j = 0; j < centroids.length; j++) {
      if (names.has(j)) continue;
      const free = lowestFree(used, t);
      names.set(j, free);
      used.add(free);
    }
    // Movers, by the cluster they leave.
    const leaving = new Map<number, { device: string; cluster: number }[]>();
    assignment.forEach((j, i) => {
      const d = devices[i] as { id: string; cluster: number };
      const to = names.get(j) as number;
      if (to !== d.cluster)
        leaving.set(d.cluster, [...(leaving.get(d.cluster) ?? []), { device: d.id, cluster: to }]);
    });
    let moved = 0;
    for (const [from, moves] of leaving) {
      const told = await clusterStub(this.env, t.task, t.region, from)
        .moveMembers(moves)
        .then(() => true)
        .catch(() => false);
      if (!told) continue;
      this.ctx.storage.transactionSync(() => {
        for (const m of moves) sql.exec("UPDATE devices SET cluster = ? WHERE id = ?", m.cluster, m.device);
      });
      moved += moves.length;
    }
    // Sizes and centroids from where devices now are.
    this.ctx.storage.transactionSync(() => {
      sql.exec("UPDATE clusters SET members = 0");
      const byCluster = new Map<number, Vector[]>();
      for (const d of sql
        .exec<{ id: string; cluster: number; features: string | null }>(
          "SELECT id, cluster, features FROM devices",
        )
        .toArray()) {
        const v = d.features ? (JSON.parse(d.features) as Vector) : (fill ?? [0, 0, 0, 0, 0]);
        byCluster.set(d.cluster, [...(byCluster.get(d.cluster) ?? []), v]);
      }
      for (const [idx, vs] of byCluster) {
        const centroid = mean(vs);
        sql.exec(
          `INSERT INTO clusters (idx, members, centroid) VALUES (?1, ?2, ?3)
           ON CONFLICT (idx) DO UPDATE SET members = ?2, centroid = ?3`,
          idx,
          vs.length,
          JSON.stringify(centroid),
        );
      }
      this.#meta.set("reclusterings", (this.#meta.get<number>("reclusterings") ?? 0) + 1);
      this.#meta.set("moved", (this.#meta.get<number>("moved") ?? 0) + moved);
    });
    this.#cache = null;
    await this.#reportTree(t);
    return { moved };
  }

  /**
   * Records a device's evaluation of a version, once: the same report again is accepted
   * (a resend), a different one for the same version is refused (duplicate_evaluation).
   * The edge has already capped `examples` at the task's maximum sample weight.
   */
  async recordEvaluation(deviceId: string, report: EvaluationReport): Promise<Result<{ recorded: boolean }>> {
    return attempt(() => {
      const sql = this.ctx.storage.sql;
      if (sql.exec("SELECT 1 FROM devices WHERE id = ?", deviceId).toArray().length === 0) {
        throw new FedgeError("unauthorized", `device ${deviceId} is not registered; register again`);
      }
      const [before] = sql
        .exec<Omit<EvaluationReport, "version">>(
          "SELECT loss, accuracy, examples FROM evaluations WHERE device = ? AND version = ?",
          deviceId,
          report.version,
        )
        .toArray();
      if (before) {
        const same =
          before.loss === report.loss &&
          before.accuracy === report.accuracy &&
          before.examples === report.examples;
        if (same) return { recorded: false };
        throw new FedgeError(
          "duplicate_evaluation",
          `device ${deviceId} has already reported an evaluation of version ${report.version}; one report per device per version`,
        );
      }
      sql.exec(
        "INSERT INTO evaluations (device, version, loss, accuracy, examples) VALUES (?, ?, ?, ?, ?)",
        deviceId,
        report.version,
        report.loss,
        report.accuracy,
        report.examples,
      );
      return { recorded: true };
    });
  }

  async shape(): Promise<RegionShape> {
    const t = this.#meta.get<DirectoryTask>("task");
    const [row] = this.ctx.storage.sql
      .exec<{ clusters: number; devices: number | null; biggest: number | null; smallest: number | null }>(
        "SELECT COUNT(*) AS clusters, SUM(members) AS devices, MAX(members) AS biggest, MIN(members) AS smallest FROM clusters WHERE members > 0",
      )
      .toArray();
    return {
      clusters: row?.clusters ?? 0,
      devices: row?.devices ?? 0,
      maxClusterSize: row?.biggest ?? 0,
      minClusterSize: row?.smallest ?? 0,
      reclusterings: this.#meta.get<number>("reclusterings") ?? 0,
      moved: this.#meta.get<number>("moved") ?? 0,
      ...this.#treeShape(t),
      targetSize: t ? this.#target(t) : 0,
    };
  }

  /** The nodes of the region's tree as it stands: each inner level's, bottom up, then the root (node null). */
  async treeNodes(): Promise<{
    innerLevels: number;
    span: number;
    nodes: ({ level: number; index: number } | null)[];
  }> {
    const t = this.#meta.get<DirectoryTask>("task");
    const span = this.#indexSpan();
    if (!t) return { innerLevels: 0, span, nodes: [null] };
    return { innerLevels: innerLevels(span, t.fanIn), span, nodes: treeNodesOver(span, t.fanIn) };
  }

  #treeShape(t: DirectoryTask | undefined): { innerLevels: number; maxFanIn: number } {
    const span = this.#indexSpan();
    if (!t || span === 0) return { innerLevels: 0, maxFanIn: 0 };
    // Node (1, 0) — or the root, without inner levels — has the most children: min(span, F).
    return { innerLevels: innerLevels(span, t.fanIn), maxFanIn: Math.min(span, t.fanIn) };
  }

  /** Per version: Σ examples, Σ loss·examples, Σ accuracy·examples and the number of reports. */
  async evaluationTotals(): Promise<EvaluationTotals[]> {
    return this.ctx.storage.sql
      .exec<EvaluationTotals>(
        `SELECT version, SUM(examples) AS examples, SUM(loss * examples) AS lossSum,
                SUM(accuracy * examples) AS accuracySum, COUNT(*) AS reports
         FROM evaluations GROUP BY version ORDER BY version`,
      )
      .toArray();
  }
}

/** The members-weighted mean of the clusters' centroids: what a device that reports nothing is taken to be. */
function regionMean(clusters: readonly { members: number; centroid: Vector }[]): Vector | null {
  const known = clusters.filter((c) => c.centroid.length > 0);
  const total = known.reduce((n, c) => n + c.members, 0);
  if (total === 0) return null;
  const dims = known[0]?.centroid.length ?? 0;
  return Array.from(
    { length: dims },
    (_, i) => known.reduce((s, c) => s + c.members * (c.centroid[i] ?? 0), 0) / total,
  );
}

/** The lowest index ≡ shard (mod shards) not in `used`. */
function lowestFree(used: ReadonlySet<number>, t: { shard: number; shards: number }): number {
  let idx = t.shard;
  while (used.has(idx)) idx += t.shards;
  return idx;
}

/** One region's shape from its shards'. */
export function mergeShapes(shapes: readonly RegionShape[]): RegionShape {
  const withClusters = shapes.filter((s) => s.clusters > 0);
  const devices = shapes.reduce((n, s) => n + s.devices, 0);
  return {
    clusters: shapes.reduce((n, s) => n + s.clusters, 0),
    devices,
    maxClusterSize: Math.max(0, ...shapes.map((s) => s.maxClusterSize)),
    minClusterSize: withClusters.length ? Math.min(...withClusters.map((s) => s.minClusterSize)) : 0,
    reclusterings: shapes.reduce((n, s) => n + s.reclusterings, 0),
    moved: shapes.reduce((n, s) => n + s.moved, 0),
    innerLevels: Math.max(0, ...shapes.map((s) => s.innerLevels)),
    maxFanIn: Math.max(0, ...shapes.map((s) => s.maxFanIn)),
    // The shards' targets, weighted by their devices.
    targetSize:
      devices > 0
        ? Math.round(shapes.reduce((n, s) => n + s.targetSize * s.devices, 0) / devices)
        : Math.max(0, ...shapes.map((s) => s.targetSize)),
  };
}
