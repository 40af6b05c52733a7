/**
 * L2-norm clipping of device updates (McMahan et al., "Learning Differentially Private
 * Recurrent Language Models", ICLR 2018, §2): an update Δ is summed as Δ · min(1, C/‖Δ‖),
 * so no single device moves the aggregate by more than its weight times C.
 *
 * The bound C is fixed, or adaptive: a multiple of the median of recent accepted norms,
 * after Andrew et al., "Differentially Private Learning with Adaptive Clipping",
 * NeurIPS 2021, who steer C toward a chosen quantile of the update norms (the median is
 * their γ = ½); a multiple above 1 leaves honest updates, whose norms cluster around the
 * median, untouched and caps outliers.
 */
import { l2Norm } from "../trust/vectors";

export type ClippingConfig =
  | { kind: "off" }
  | { kind: "fixed"; maxNorm: number }
  | {
      kind: "adaptive";
      multiplier: number;
      window: number;
      minHistory: number;
      maxNorm?: number | undefined;
    };

/** The median of values (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The clipping bound C given the recent accepted norms (oldest first; only the last
 * `window` count). Infinity means no bound.
 */
export function clipBound(config: ClippingConfig, recentNorms: readonly number[]): number {
  if (config.kind === "off") return Number.POSITIVE_INFINITY;
  if (config.kind === "fixed") return config.maxNorm;
  const ceiling = config.maxNorm ?? Number.POSITIVE_INFINITY;
  const recent = recentNorms.slice(-config.window);
  if (recent.length < config.minHistory) return ceiling;
  return Math.min(ceiling, config.multiplier * median(recent));
}

/** The factor an update of L2 norm `norm` is scaled by under bound C: min(1, C / norm). */
export function clipFactor(norm: number, bound: number): number {
  return norm > bound ? bound / norm : 1;
}

/** `values` scaled to L2 norm at most C: the same array when it is within C, else a scaled copy. */
export function clipToNorm(values: Float32Array, bound: number): Float32Array {
  const clip = clipFactor(l2Norm(values), bound);
  return clip < 1 ? values.map((v) => v * clip) : values;
}
