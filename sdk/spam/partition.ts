/**
 * Label-skewed client shards for simulating non-IID federated data, after Hsu, Qi and
 * Brown, "Measuring the Effects of Non-Identical Data Distribution for Federated Visual
 * Classification", 2019, §3: every client draws its label mix q ~ Dir(α·p), where p is the
 * label distribution of the whole set. α → ∞ gives every client p (IID); α → 0 gives
 * every client a single label.
 */
import { dirichlet, seededRandom, shuffle } from "./random";

export interface PartitionOptions {
  clients: number;
  seed: number;
  /** Dirichlet concentration α; default 0.5. */
  alpha?: number;
}

/**
 * Splits `items` into `clients` shards of equal size (±1) whose spam fractions follow
 * Dir(α·p). Every item lands in exactly one shard. Shards are filled in order from
 * shuffled pools of spam and ham; a shard whose drawn mix needs more of a label than is
 * left takes what is left and fills up with the other label, so the last shards can be
 * pushed toward whichever label the earlier ones left over.
 */
export function partitionByLabel<T extends { spam: boolean }>(
  items: readonly T[],
  options: PartitionOptions,
): T[][] {
  const { clients, seed } = options;
  const alpha = options.alpha ?? 0.5;
  if (!Number.isInteger(clients) || clients < 1) throw new RangeError("clients must be a positive integer");
  if (!(alpha > 0)) throw new RangeError("alpha must be positive");
  const random = seededRandom(seed);
  const spam = shuffle(
    items.filter((m) => m.spam),
    random,
  );
  const ham = shuffle(
    items.filter((m) => !m.spam),
    random,
  );
  if (spam.length === 0 || ham.length === 0) throw new RangeError("items must contain both spam and ham");
  const prior = spam.length / items.length;
  const shards: T[][] = [];
  for (let c = 0; c < clients; c++) {
    const size = Math.floor(items.length / clients) + (c < items.length % clients ? 1 : 0);
    const [spamShare] = dirichlet([alpha * prior, alpha * (1 - prior)], random);
    const wanted = Math.round(spamShare! * size);
    const spamCount = Math.min(Math.max(wanted, size - ham.length), spam.length);
    const shard = [...spam.splice(0, spamCount), ...ham.splice(0, size - spamCount)];
    shards.push(shuffle(shard, random));
  }
  return shards;
}
