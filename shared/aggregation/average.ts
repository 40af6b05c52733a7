/**
 * The pseudo-gradient the server optimizer steps along (Reddi et al., ICLR 2021,
 * Algorithm 1, with FedBuff's staleness scaling, Nguyen et al., AISTATS 2022, Algorithm 1):
 *
 *   Δ_t = Σᵢ s(τᵢ) nᵢ Δᵢ / Σᵢ nᵢ
 *
 * where Δᵢ is device i's update, nᵢ its sample weight and s(τᵢ) its staleness weight
 * (1 in synchronous rounds). The tiers below the coordinator deliver the two sums.
 * Dividing by Σ nᵢ rather than Σ s(τᵢ)nᵢ is FedBuff's choice: stale updates shrink the
 * step rather than merely re-weighting each other.
 */
export interface WeightedSum {
  /** Σᵢ s(τᵢ) nᵢ Δᵢ */
  sum: Float32Array;
  /** Σᵢ nᵢ */
  weight: number;
}

export function pseudoGradient(aggregate: WeightedSum): Float32Array {
  if (!(aggregate.weight > 0)) throw new RangeError(`aggregate weight must be > 0, got ${aggregate.weight}`);
  const out = new Float32Array(aggregate.sum.length);
  for (let i = 0; i < out.length; i++) out[i] = aggregate.sum[i]! / aggregate.weight;
  return out;
}
