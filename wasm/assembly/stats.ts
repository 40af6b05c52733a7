// The statistics of the last accepted update (the accumulate contract, docs/codecs.md):
// ‖v‖² and ⟨v, reference⟩ of the unscaled values, in f64.

export let squaredNorm: f64 = 0;
export let dot: f64 = 0;

export function setStats(norm: f64, withReference: f64): void {
  squaredNorm = norm;
  dot = withReference;
}
