/**
 * Staleness weighting for buffered asynchronous aggregation (FedBuff: Nguyen et al.,
 * "Federated Learning with Buffered Asynchronous Aggregation", AISTATS 2022, Algorithm 1
 * and §5, which uses s(τ) = 1/√(1+τ)). τ = current version − the update's base version.
 */
export type StalenessFunction =
  | { kind: "inverse-sqrt" }
  | { kind: "polynomial"; exponent: number }
  | { kind: "constant" };

export function stalenessWeight(fn: StalenessFunction, staleness: number): number {
  if (!Number.isInteger(staleness) || staleness < 0) {
    throw new RangeError(`staleness must be a non-negative integer, got ${staleness}`);
  }
  switch (fn.kind) {
    case "inverse-sqrt":
      return 1 / Math.sqrt(1 + staleness);
    case "polynomial":
      return (1 + staleness) ** -fn.exponent;
    case "constant":
      return 1;
  }
}
