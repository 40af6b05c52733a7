/**
 * Max-min fair allocation by water-filling (Bertsekas & Gallager, Data Networks, 2nd ed.,
 * §6.5.2): raise every key's allocation together until it meets its demand or the
 * capacity runs out. The result is the allocation in which no key's share can grow without
 * shrinking the share of a key that has no more than it: a key that asks for less than the
 * water level gets all it asks, every other key gets the level, and no capacity is left
 * while anyone is unsatisfied.
 */
export function maxMinFair(capacity: number, demands: Record<string, number>): Record<string, number> {
  if (!(capacity >= 0 && Number.isFinite(capacity))) {
    throw new RangeError(`capacity must be a finite number >= 0, got ${capacity}`);
  }
  const entries = Object.entries(demands);
  for (const [key, demand] of entries) {
    if (!(demand >= 0)) throw new RangeError(`demands["${key}"] must be >= 0, got ${demand}`);
  }
  // Ascending demand: once one key cannot be satisfied, none after it can.
  entries.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let met = 0;
  let remaining = capacity;
  while (met < entries.length && entries[met]![1] <= remaining / (entries.length - met)) {
    remaining -= entries[met]![1];
    met++;
  }
  // Everyone left gets the same level, computed once so rounding cannot make shares differ.
  let level = remaining / (entries.length - met);
  // A quotient rounded up can count as met a demand just above the true level, and the level
  // of the rest then falls below it: such a key belongs with the rest.
  while (met > 0 && entries[met - 1]![1] > level) {
    met--;
    remaining += entries[met]![1];
    level = remaining / (entries.length - met);
  }
  const allocation = entries.map(([key, demand], i): [string, number] => [key, i < met ? demand : level]);
  // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
  return Object.fromEntries(allocation);
}

/**
 * Jain's fairness index (Jain, Chiu & Hawe, "A Quantitative Measure of Fairness and
 * Discrimination for Resource Allocation in Shared Computer Systems", DEC-TR-301, 1984):
 * (Σx)² / (n · Σx²), from 1/n (one key has everything) to 1 (all equal). All zeros count as equal.
 */
export function jainIndex(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("jainIndex needs at least one value");
  let sum = 0;
  let sumOfSquares = 0;
  for (const value of values) {
    if (!(value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`jainIndex values must be finite and >= 0, got ${value}`);
    }
    sum += value;
    sumOfSquares += value * value;
  }
  return sumOfSquares === 0 ? 1 : (sum * sum) / (values.length * sumOfSquares);
}
