/**
 * The hashing trick (Weinberger et al., "Feature Hashing for Large Scale Multitask
 * Learning", ICML 2009): each token is hashed into one of B buckets, so the model has a
 * fixed size and devices need no shared vocabulary. A message becomes the sorted set of
 * its buckets — binary bag-of-words features, which the model reads as a gather of those
 * rows followed by a sum.
 */
import { fnv1a } from "./fnv1a";
import { tokenize } from "./tokenizer";

export const DEFAULT_BUCKETS = 1 << 18;

/** A featurized message: sorted, distinct bucket ids in [0, buckets), and its label. */
export interface Example {
  ids: Int32Array;
  spam: boolean;
}

export function bucketIds(tokens: readonly string[], buckets: number = DEFAULT_BUCKETS): Int32Array {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 2 ** 31) {
    throw new RangeError("buckets must be an integer in [1, 2^31]");
  }
  const ids = new Set<number>();
  for (const token of tokens) ids.add(fnv1a(token) % buckets);
  return Int32Array.from(ids).sort();
}

export function featurize(
  message: { text: string; spam: boolean },
  buckets: number = DEFAULT_BUCKETS,
): Example {
  return { ids: bucketIds(tokenize(message.text), buckets), spam: message.spam };
}
