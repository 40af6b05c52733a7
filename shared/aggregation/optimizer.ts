/**
 * The server optimizer interface (Reddi et al., "Adaptive Federated Optimization",
 * ICLR 2021, Algorithm 1): the coordinator hands each optimizer the current weights x_t
 * and the pseudo-gradient Δ_t (the weighted average of the devices' updates, see
 * ./average.ts) and gets x_{t+1}. Optimizer state (moment vectors, step count) is
 * plain data, so the coordinator can persist it and restore it after eviction.
 */
export interface OptimizerState {
  /** Steps applied so far (t after the step that produced the current weights). */
  step: number;
  /** Per-parameter state vectors by name (e.g. "m", "v"), each of the model's dimension. */
  slots: Record<string, Float32Array>;
}

export interface ServerOptimizer {
  readonly kind: string;
  /** The state vectors this optimizer keeps; an empty list for stateless FedAvg. */
  readonly slots: readonly string[];
  /**
   * Returns x_{t+1} from x_t and Δ_t, and advances `state` in place (step and slots).
   * Neither `weights` nor `delta` is modified.
   */
  apply(weights: Float32Array, delta: Float32Array, state: OptimizerState): Float32Array;
}

export function initialState(optimizer: ServerOptimizer, dim: number): OptimizerState {
  return { step: 0, slots: Object.fromEntries(optimizer.slots.map((name) => [name, new Float32Array(dim)])) };
}

export function slot(state: OptimizerState, name: string, dim: number): Float32Array {
  const s = state.slots[name];
  if (!s || s.length !== dim)
    throw new RangeError(`optimizer state has no slot "${name}" of dimension ${dim}`);
  return s;
}

export function checkDims(weights: Float32Array, delta: Float32Array): void {
  if (weights.length !== delta.length) {
    throw new RangeError(`pseudo-gradient has ${delta.length} values, the model ${weights.length}`);
  }
}
