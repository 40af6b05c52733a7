/**
 * Krum (Blanchard, El Mhamdi, Guerraoui & Stainer, "Machine Learning with Adversaries:
 * Byzantine Tolerant Gradient Descent", NeurIPS 2017, §4): each model i is scored by
 *
 *   s(i) = Σ_{j ∈ N(i)} ‖Vᵢ − Vⱼ‖²
 *
 * where N(i) are the k = n − f − 2 models nearest to it (the paper's "i → j"), and the
 * model of lowest score is chosen as it is. As in Flower's `aggregate_krum`, k is
 * max(1, n − f − 2) so that small inputs still aggregate; the paper's resilience
 * guarantee needs n > 2f + 2, which neither Flower nor this function enforces. A tie
 * goes to the lower index; when k = 1 (n ≤ f + 3) the two closest models always tie.
 */
import { checkF, checkInputs } from "./aggregator";

export interface KrumOptions {
  /** The number of Byzantine models tolerated. */
  f: number;
}

/** The n × n matrix (row-major) of squared L2 distances between the models, in float64. */
export function squaredDistances(models: readonly Float32Array[]): Float64Array {
  const n = models.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = models[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = models[j]!;
      let sum = 0;
      for (let c = 0; c < a.length; c++) {
        const d = a[c]! - b[c]!;
        sum += d * d;
      }
      out[i * n + j] = sum;
      out[j * n + i] = sum;
    }
  }
  return out;
}

/**
 * Krum scores of the models at `members` (indices into the n × n `distances`), each over
 * its k = max(1, |members| − f − 2) nearest other members, or all of them if fewer.
 */
export function krumScores(
  distances: Float64Array,
  n: number,
  members: readonly number[],
  f: number,
): Float64Array {
  const k = Math.min(Math.max(1, members.length - f - 2), members.length - 1);
  const scores = new Float64Array(members.length);
  const others = new Float64Array(members.length - 1);
  for (let a = 0; a < members.length; a++) {
    const row = members[a]! * n;
    let o = 0;
    for (let b = 0; b < members.length; b++) if (b !== a) others[o++] = distances[row + members[b]!]!;
    others.sort();
    let score = 0;
    for (let t = 0; t < k; t++) score += others[t]!;
    scores[a] = score;
  }
  return scores;
}

/** The index of the lowest score; the first one on a tie. */
export function argMin(scores: Float64Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! < scores[best]!) best = i;
  return best;
}

export function krum(
  models: readonly Float32Array[],
  weights: readonly number[],
  options: KrumOptions,
): Float32Array {
  checkInputs("krum", models, weights);
  checkF("krum", options.f);
  const n = models.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const scores = krumScores(squaredDistances(models), n, all, options.f);
  return Float32Array.from(models[argMin(scores)]!);
}
