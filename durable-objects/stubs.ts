/**
 * Names and stubs of the objects behind a task. Every regional object is created with
 * a locationHint, so it lives near the devices it serves.
 */
import type { Region } from "../shared/regions";

export const clusterName = (task: string, region: Region, index: number) => `${task}/${region}/c${index}`;
export const regionName = (task: string, region: Region) => `${task}/${region}`;
/** A node of a region's aggregation tree: its root (node null) or the inner node (level, index). */
export const treeNodeName = (task: string, region: Region, node: { level: number; index: number } | null) =>
  node === null ? regionName(task, region) : `${task}/${region}/${node.level}.${node.index}`;

export function clusterStub(env: Env, task: string, region: Region, index: number) {
  const ns = env.CLUSTER;
  return ns.get(ns.idFromName(clusterName(task, region, index)), { locationHint: region });
}

export function regionStub(env: Env, task: string, region: Region) {
  const ns = env.REGION;
  return ns.get(ns.idFromName(regionName(task, region)), { locationHint: region });
}

export function treeNodeStub(
  env: Env,
  id: { task: string; region: Region; node: { level: number; index: number } | null },
) {
  const ns = env.REGION;
  return ns.get(ns.idFromName(treeNodeName(id.task, id.region, id.node)), { locationHint: id.region });
}

/** A region's directory shard (shard 0 is the region's first, named as before shards existed). */
export function directoryStub(env: Env, task: string, region: Region, shard = 0) {
  const ns = env.DIRECTORY;
  const name = shard === 0 ? regionName(task, region) : `${regionName(task, region)}/d${shard}`;
  return ns.get(ns.idFromName(name), { locationHint: region });
}

/** Every directory shard of a region. */
export function directoryStubs(env: Env, task: string, region: Region, shards: number) {
  return Array.from({ length: shards }, (_, shard) => directoryStub(env, task, region, shard));
}

/** The shard that placed a device: its cluster index modulo the shards (each shard's indices are its residue class). */
export const shardOf = (cluster: number, shards: number) => cluster % shards;

export function coordinatorStub(env: Env, task: string, region?: Region) {
  const ns = env.COORDINATOR;
  return ns.get(ns.idFromName(task), region ? { locationHint: region } : undefined);
}
