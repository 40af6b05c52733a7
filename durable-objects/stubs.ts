/**
 * Names and stubs of the objects behind a task. Every regional object is created with
 * a locationHint, so it lives near the devices it serves.
 */
import type { Region } from "../shared/regions";

export const clusterName = (task: string, region: Region, index: number) => `${task}/${region}/c${index}`;
export const regionName = (task: string, region: Region) => `${task}/${region}`;

export function clusterStub(env: Env, task: string, region: Region, index: number) {
  const ns = env.CLUSTER;
  return ns.get(ns.idFromName(clusterName(task, region, index)), { locationHint: region });
}

export function regionStub(env: Env, task: string, region: Region) {
  const ns = env.REGION;
  return ns.get(ns.idFromName(regionName(task, region)), { locationHint: region });
}

export function directoryStub(env: Env, task: string, region: Region) {
  const ns = env.DIRECTORY;
  return ns.get(ns.idFromName(regionName(task, region)), { locationHint: region });
}

export function coordinatorStub(env: Env, task: string, region?: Region) {
  const ns = env.COORDINATOR;
  return ns.get(ns.idFromName(task), region ? { locationHint: region } : undefined);
}
