/**
 * Labelled mail and the fixed train/test split every experiment uses. Loading the
 * SpamAssassin corpus needs the file system and lives in `dataset.node.ts`; this module is
 * web-standard so devices can split their own mail the same way.
 */
import { seededRandom, shuffle } from "./random";

export interface Message {
  /** Unique within the corpus, e.g. "spam-2/00042". */
  id: string;
  /** The corpus subset the message comes from; the split is stratified by it. */
  group: string;
  /** The raw RFC 5322 message, headers included. */
  text: string;
  spam: boolean;
}

export interface Split<T> {
  train: T[];
  test: T[];
}

/** The seed of the fixed split every reported accuracy is measured on. */
export const SPLIT_SEED = 1;

export interface SplitOptions {
  /** Default SPLIT_SEED. */
  seed?: number;
  /** Default 0.2: the 80/20 split. */
  testFraction?: number;
}

/**
 * A seeded split stratified by `group`: each group is shuffled on its own and its first
 * round(testFraction · size) messages go to the test set, so the test set keeps every
 * group's share — the harder-to-classify "hard-ham" included — whatever the seed. Both
 * halves keep the input order.
 */
export function splitTrainTest<T extends Pick<Message, "group">>(
  messages: readonly T[],
  options: SplitOptions = {},
): Split<T> {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError("testFraction must be in (0, 1)");
  const random = seededRandom(options.seed ?? SPLIT_SEED);
  const groups = new Map<string, number[]>();
  messages.forEach((m, i) => {
    const members = groups.get(m.group) ?? [];
    members.push(i);
    groups.set(m.group, members);
  });
  const inTest = new Uint8Array(messages.length);
  for (const group of [...groups.keys()].sort()) {
    const members = shuffle(groups.get(group)!, random);
    const testSize = Math.round(testFraction * members.length);
    for (const i of members.slice(0, testSize)) inTest[i] = 1;
  }
  return {
    train: messages.filter((_, i) => inTest[i] === 0),
    test: messages.filter((_, i) => inTest[i] === 1),
  };
}
