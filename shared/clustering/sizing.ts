/**
 * Automatic cluster sizing (docs/architecture.md#clustering): a region's target cluster
 * size moves with how its clusters fill. A cluster should fill — every active member
 * reporting — well before its wait runs out; one whose batches are sealed by the wait with
 * members missing is too big for how its devices take part, one that fills at once could
 * hold more (fewer partials upstream, larger anonymity sets for secure aggregation).
 *
 * At each re-clustering, from the clusters' seals since the last one (at least MIN_SEALS):
 * - mean fill at seal (reported ÷ active members) below SHRINK_BELOW: factor × 0.8;
 * - mean fill at least GROW_FROM and updates waiting in their cluster on average less
 *   than a quarter of its wait: factor × 1.25;
 * - otherwise unchanged.
 * The factor stays within [0.5, 2], and the size within [max(2, ⌈T/2⌉), 2T] of the
 * configured T = `clusters.targetSize`.
 */

export interface SealStats {
  /** Σ and count of fill ratios at seal. */
  fillSum: number;
  fillCount: number;
  /** Σ and count of seconds updates waited in their cluster. */
  waitSum: number;
  waitCount: number;
}

export const MIN_SEALS = 10;
export const SHRINK_BELOW = 0.8;
export const GROW_FROM = 0.95;

export function nextSizeFactor(factor: number, stats: SealStats, clusterWaitSeconds: number): number {
  if (stats.fillCount < MIN_SEALS) return factor;
  const fill = stats.fillSum / stats.fillCount;
  const wait = stats.waitCount > 0 ? stats.waitSum / stats.waitCount : 0;
  let next = factor;
  if (fill < SHRINK_BELOW) next = factor * 0.8;
  else if (fill >= GROW_FROM && wait < clusterWaitSeconds / 4) next = factor * 1.25;
  return Math.min(2, Math.max(0.5, next));
}

export function sizedTarget(targetSize: number, factor: number): number {
  const low = Math.max(2, Math.ceil(targetSize / 2));
  return Math.min(2 * targetSize, Math.max(Math.min(low, targetSize), Math.round(targetSize * factor)));
}
