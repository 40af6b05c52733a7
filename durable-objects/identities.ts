/**
 * What each tier object is, derived from the task's configuration. The edge sends the
 * cluster its identity with every call, and the cluster sends its region the region's,
 * so every tier configures itself from the messages it gets: there is no configuration
 * step that can fail on its own and leave a tier unconfigured.
 */
import type { ClippingConfig } from "../shared/aggregation/clipping";
import { deviceNoiseStd } from "../shared/privacy/central-dp";
import { type TaskConfig, tierWaits } from "../shared/protocol/task-config";
import type { Region } from "../shared/regions";
import { DEFAULT_REPUTATION_CONFIG } from "../shared/trust/index";
import type { ClusterIdentity } from "./cluster-aggregator";
import type { TrustPolicy } from "./cluster-trust";
import type { DirectoryTask } from "./directory";
import type { RegionIdentity } from "./region-aggregator";
import type { SecurePolicy } from "./storage/secure-rounds";

/**
 * A region's aggregation tree (docs/architecture.md#the-aggregation-tree): with L inner
 * levels, cluster c sends to node (1, ⌊c/F⌋), node (ℓ, i) to (ℓ + 1, ⌊i/F⌋), and the nodes of
 * level L to the region's root, which sends to the coordinator — so no node has more than
 * F = `clusters.fanIn` children while the region has at most F^(L+1) clusters.
 */
export function regionIdentity(
  task: string,
  config: TaskConfig,
  region: Region,
  node: { level: number; index: number; innerLevels: number } | null = null,
): RegionIdentity {
  const fanIn = config.clusters.fanIn;
  return {
    task,
    region,
    dim: config.model.parameters,
    maxWaitMs: tierWaits(config).regionWaitMs,
    coordinatorRegion: config.placement.coordinatorRegion,
    inactiveAfterVersions: config.clusters.inactiveAfterVersions,
    node: node && { level: node.level, index: node.index },
    parent:
      node === null
        ? null
        : node.level < node.innerLevels
          ? regionIdentity(task, config, region, {
              level: node.level + 1,
              index: Math.floor(node.index / fanIn),
              innerLevels: node.innerLevels,
            })
          : regionIdentity(task, config, region),
  };
}

/** What a region's directory shard needs to know of the task (sent with every registration and re-clustering). */
export function directoryTask(
  task: string,
  config: TaskConfig,
  region: Region,
  shard: number,
): DirectoryTask {
  return {
    task,
    region,
    clusterSize: config.clusters.targetSize,
    coordinatorRegion: config.placement.coordinatorRegion,
    reclusterSeconds: config.clusters.reclusterSeconds,
    fanIn: config.clusters.fanIn,
    clusterWaitSeconds: tierWaits(config).clusterWaitMs / 1000,
    shard,
    shards: config.clusters.directoryShards,
  };
}

/** The inner levels a region with `clusters` clusters needs: the least L with F^(L+1) ≥ clusters. */
export function innerLevels(clusters: number, fanIn: number): number {
  let levels = 0;
  for (let capacity = fanIn; capacity < clusters; capacity *= fanIn) levels += 1;
  return levels;
}

/** The nodes of a tree over `span` cluster indices: each inner level's, bottom up, then the root (null). */
export function treeNodesOver(span: number, fanIn: number): ({ level: number; index: number } | null)[] {
  const nodes: ({ level: number; index: number } | null)[] = [];
  const levels = innerLevels(span, fanIn);
  for (let level = 1; level <= levels; level++) {
    const count = Math.ceil(span / fanIn ** level);
    for (let index = 0; index < count; index++) nodes.push({ level, index });
  }
  nodes.push(null);
  return nodes;
}

export function clusterIdentity(
  task: string,
  config: TaskConfig,
  region: Region,
  index: number,
  /** The region's inner tree levels (the task view's `tree`): 0, its clusters send to its root. */
  levels = 0,
): ClusterIdentity {
  return {
    task,
    region,
    index,
    dim: config.model.parameters,
    maxWaitMs: tierWaits(config).clusterWaitMs,
    coordinatorRegion: config.placement.coordinatorRegion,
    parent: regionIdentity(
      task,
      config,
      region,
      levels > 0 ? { level: 1, index: Math.floor(index / config.clusters.fanIn), innerLevels: levels } : null,
    ),
    clusterSize: config.clusters.targetSize,
    clipping: clipping(config),
    unitWeights: config.privacy.dp.kind !== "off",
    inactiveAfterVersions: config.clusters.inactiveAfterVersions,
    maxStaleness: config.staleness.maxStaleness,
    staleness: config.staleness.weight,
    trust: trustPolicy(config),
    secure: securePolicy(config),
    retention: {
      receiptsMs: config.retention.receiptsHours * 3600_000,
      telemetryMs: config.retention.telemetryHours * 3600_000,
    },
    controller: config.compression.controller.kind === "off" ? null : config.compression.controller,
  };
}

function securePolicy(config: TaskConfig): SecurePolicy | null {
  const sa = config.privacy.secureAggregation;
  if (sa.kind === "off") return null;
  return {
    clipNorm: sa.clipNorm,
    threshold: sa.threshold,
    phaseMs: sa.phaseSeconds * 1000,
    minMembers: sa.minMembers,
    noiseStd: deviceNoiseStd(config),
  };
}

/** The cluster's clipping: a fixed bound at central DP's clipNorm, else the task's limits (secure rounds clip on the device). */
function clipping(config: TaskConfig): ClippingConfig {
  const dp = config.privacy.dp;
  return dp.kind === "central" ? { kind: "fixed", maxNorm: dp.clipNorm } : config.limits.clipping;
}

export function trustPolicy(config: TaskConfig): TrustPolicy {
  const t = config.trust;
  return {
    detect: t.detect,
    robust: config.aggregation.robust,
    minMsPerExample: t.minMsPerExample,
    reputation: {
      ...DEFAULT_REPUTATION_CONFIG,
      halfLifeMs: t.reputationHalfLifeHours * 3600_000,
      floor: t.quarantineBelow,
      coolOffMs: t.quarantineMinutes * 60_000,
    },
  };
}
