/** The vector statistics the detectors judge by, accumulated in float64. */

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dot: lengths ${a.length} and ${b.length} differ`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function l2Norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** cos ∠(a, b); 0 when either is the zero vector, which has no direction. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const denominator = l2Norm(a) * l2Norm(b);
  return denominator > 0 ? dot(a, b) / denominator : 0;
}

/** The mean of |aᵢ|. */
export function meanAbs(a: ArrayLike<number>): number {
  if (a.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]!);
  return sum / a.length;
}
