/**
 * Over-selection (Bonawitz et al., "Towards Federated Learning at Scale", SysML 2019, §2):
 * a synchronous round needs `targetUpdates` updates, so it lets somewhat more devices train
 * — `overSelection` times as many, to absorb drop-outs — and tells the rest to wait for the
 * next round, saving their battery and the servers' work.
 *
 * fedge decides locally: each cluster lets ⌈share × its members⌉ of its members train per
 * version, and queues the others (their position in the answer). The share is the task's,
 * moved by the coordinator at each round from what the last round received: a round that
 * got more updates than overSelection × target lowers it in proportion, one that got fewer
 * raises it — so the threshold follows the population and its participation without any
 * object counting every device.
 */

/** The share of each cluster's members a round lets train, never below MIN_SHARE. */
export const MIN_SHARE = 0.02;

export function nextSelectionShare(
  share: number,
  policy: { overSelection: number; targetUpdates: number },
  receivedLastRound: number,
): number {
  const wanted = policy.overSelection * policy.targetUpdates;
  const next = (share * wanted) / Math.max(1, receivedLastRound);
  return Math.min(1, Math.max(MIN_SHARE, next));
}

/** How many of a cluster's members may train on one version at this share (at least one). */
export function clusterQuota(share: number, members: number): number {
  return Math.max(1, Math.ceil(share * members));
}
