/**
 * Top-k selection by magnitude in expected O(d), never a sort. Deep Gradient Compression
 * (Lin et al., ICLR 2018) sends only the largest ~0.1% of gradient entries and
 * estimates their threshold from a sample of 0.1–1% because sorting is too slow. Here
 * the threshold is exact: quickselect (Hoare 1961) with three-way partitioning finds the
 * k-th largest magnitude t in expected linear time even with many equal magnitudes, then
 * one pass takes every |x| > t and, in index order, the first |x| = t until there are k.
 * Ties therefore go to the lowest indices, deterministically.
 */

/**
 * The increasing indices of the k largest |values[i]| (values finite, 0 ≤ k ≤ length),
 * lower indices first among equal magnitudes.
 */
export function topK(values: Float32Array, k: number): Uint32Array {
  const d = values.length;
  if (!Number.isInteger(k) || k < 0 || k > d)
    throw new RangeError(`k must be an integer in 0..${d}, got ${k}`);
  const out = new Uint32Array(k);
  if (k === 0) return out;
  const magnitudes = new Float32Array(d);
  for (let i = 0; i < d; i++) magnitudes[i] = Math.abs(values[i]!);
  const threshold = kthLargest(magnitudes, k);
  let above = 0;
  for (let i = 0; i < d; i++) if (Math.abs(values[i]!) > threshold) above++;
  let ties = k - above;
  let n = 0;
  for (let i = 0; i < d; i++) {
    const m = Math.abs(values[i]!);
    if (m > threshold || (m === threshold && ties-- > 0)) out[n++] = i;
  }
  return out;
}

/**
 * The k-th largest element (1 ≤ k ≤ a.length); reorders a. Pivots come from a fixed
 * pseudo-random sequence, so the expected cost is linear for every input order and the
 * result never depends on the draw.
 */
function kthLargest(a: Float32Array, k: number): number {
  const target = k - 1;
  let lo = 0;
  let hi = a.length - 1;
  let seed = 0x2545f491;
  while (lo < hi) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; // LCG (Numerical Recipes)
    const pivot = a[lo + Math.floor((seed / 2 ** 32) * (hi - lo + 1))]!;
    // Partition a[lo..hi] into [> pivot][= pivot][< pivot].
    let gt = lo;
    let i = lo;
    let lt = hi;
    while (i <= lt) {
      const v = a[i]!;
      if (v > pivot) {
        a[i++] = a[gt]!;
        a[gt++] = v;
      } else if (v < pivot) {
        a[i] = a[lt]!;
        a[lt--] = v;
      } else i++;
    }
    if (target < gt) hi = gt - 1;
    else if (target > lt) lo = lt + 1;
    else return pivot;
  }
  return a[lo]!;
}
