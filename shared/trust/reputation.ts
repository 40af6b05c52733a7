/**
 * Per-device reputation with time decay, after the multi-weight subjective logic of Kang,
 * Xiong, Niyato, Xie & Zhang, "Incentive Mechanism for Reliable Federated Learning: A
 * Joint Optimization Approach to Combining Reputation and Contract Theory", IEEE Internet
 * of Things Journal 6(6), 2019, §III:
 *
 *   b = (1 − u)·κα / (κα + ηβ),   d = (1 − u)·ηβ / (κα + ηβ),   T = b + a·u
 *
 * where α and β count positive and negative interactions, each weighted by its freshness
 * (Kang's fading z^(Y−y); here continuous, 2^(−Δt / halfLife)), κ < η so that a
 * detection outweighs a useful update, and a is the base rate, the reputation of a device
 * nothing is known about. Kang takes the uncertainty u from link quality, which the
 * service does not observe; u comes instead from the amount of evidence, as in Jøsang's
 * mapping of evidence to opinions (Subjective Logic, Springer 2016, §3.5.2, prior weight
 * W = 2): u = W / (κα + ηβ + W), so b = κα / (κα + ηβ + W). As evidence fades, u grows
 * and the reputation returns to a: old misbehaviour is forgiven, old merit forgotten.
 *
 * The state is plain JSON, stored per device and decayed to `now` whenever it is read.
 * Configs are checked once, with checkReputationConfig, when a task is created.
 */

export interface ReputationState {
  /** Decayed count of useful updates. */
  positive: number;
  /** Decayed count of detections, plus timeouts at timeoutWeight. */
  negative: number;
  /** When the counts were last decayed, ms since the epoch. */
  updatedAt: number;
}

export interface ReputationConfig {
  /** Evidence halves in this time. */
  halfLifeMs: number;
  /** a: the reputation of a device with no evidence, in (0, 1). */
  baseRate: number;
  /** κ: the weight of a positive interaction. */
  positiveWeight: number;
  /** η: the weight of a negative interaction; Kang et al. take η > κ and κ + η = 1. */
  negativeWeight: number;
  /** A timeout counts as this fraction of a negative interaction: devices go offline honestly too. */
  timeoutWeight: number;
  /** W: the prior evidence weight. */
  priorWeight: number;
  /** Below this reputation a device is quarantined. */
  floor: number;
  /** For this long. */
  coolOffMs: number;
}

export const DEFAULT_REPUTATION_CONFIG: ReputationConfig = {
  halfLifeMs: 24 * 60 * 60 * 1000,
  baseRate: 0.5,
  positiveWeight: 0.4,
  negativeWeight: 0.6,
  timeoutWeight: 0.5,
  priorWeight: 2,
  floor: 0.3,
  coolOffMs: 60 * 60 * 1000,
};

export type Interaction = "useful" | "detected" | "timeout";

export interface Opinion {
  belief: number;
  disbelief: number;
  uncertainty: number;
}

/** Throws a RangeError naming the first field out of range. */
export function checkReputationConfig(config: ReputationConfig): void {
  const positive = ["halfLifeMs", "positiveWeight", "negativeWeight", "priorWeight"] as const;
  for (const field of positive) {
    const value = config[field];
    if (!(Number.isFinite(value) && value > 0))
      throw new RangeError(`reputation.${field} must be > 0, got ${value}`);
  }
  const unit = [
    ["baseRate", config.baseRate],
    ["timeoutWeight", config.timeoutWeight],
    ["floor", config.floor],
  ] as const;
  for (const [field, value] of unit) {
    if (!(value >= 0 && value <= 1))
      throw new RangeError(`reputation.${field} must be in [0, 1], got ${value}`);
  }
  if (!(config.floor < config.baseRate)) {
    throw new RangeError(
      `reputation.floor must be < reputation.baseRate, or every new device starts quarantined: floor = ${config.floor}, baseRate = ${config.baseRate}`,
    );
  }
  if (!(Number.isFinite(config.coolOffMs) && config.coolOffMs >= 0)) {
    throw new RangeError(`reputation.coolOffMs must be ≥ 0, got ${config.coolOffMs}`);
  }
}

export function initialReputation(now: number): ReputationState {
  return { positive: 0, negative: 0, updatedAt: now };
}

/** The state with its evidence faded to `now`. A `now` before `updatedAt` changes nothing. */
export function decayTo(state: ReputationState, now: number, config: ReputationConfig): ReputationState {
  if (!(now > state.updatedAt)) return state;
  const factor = 2 ** (-(now - state.updatedAt) / config.halfLifeMs);
  return { positive: state.positive * factor, negative: state.negative * factor, updatedAt: now };
}

export function recordInteraction(
  state: ReputationState,
  interaction: Interaction,
  now: number,
  config: ReputationConfig,
): ReputationState {
  const current = decayTo(state, now, config);
  switch (interaction) {
    case "useful":
      return { ...current, positive: current.positive + 1 };
    case "detected":
      return { ...current, negative: current.negative + 1 };
    case "timeout":
      return { ...current, negative: current.negative + config.timeoutWeight };
  }
}

export function opinionOf(state: ReputationState, now: number, config: ReputationConfig): Opinion {
  const { positive, negative } = decayTo(state, now, config);
  const r = config.positiveWeight * positive;
  const s = config.negativeWeight * negative;
  const total = r + s + config.priorWeight;
  return { belief: r / total, disbelief: s / total, uncertainty: config.priorWeight / total };
}

/** T = b + a·u, in [0, 1]. */
export function reputationOf(state: ReputationState, now: number, config: ReputationConfig): number {
  const { belief, uncertainty } = opinionOf(state, now, config);
  return belief + config.baseRate * uncertainty;
}

/**
 * The factor on a device's aggregation weight: where its reputation T stands between the
 * quarantine floor (0) and T⁺, the reputation the same useful record would have earned
 * with nothing held against it (1). A new device, and any device never detected, counts
 * fully; negative evidence takes weight away in proportion to the reputation it cost —
 * not only once it has pulled T below the base rate: with a = ½, T stays at or above a
 * while κ·useful ≥ η·detected, so a device caught on two updates in five (κ = 0.4,
 * η = 0.6) would keep full weight while the other three carry its attack. By the floor,
 * where quarantine begins, the device's influence is gone. Useful updates
 * and time give the weight back as the negative evidence fades.
 */
export function aggregationWeightFactor(
  state: ReputationState,
  now: number,
  config: ReputationConfig = DEFAULT_REPUTATION_CONFIG,
): number {
  const faded = decayTo(state, now, config);
  const unblemished = reputationOf({ ...faded, negative: 0 }, now, config);
  const reputation = reputationOf(faded, now, config);
  // unblemished ≥ baseRate > floor (checkReputationConfig), so the ratio is defined.
  return Math.min(1, Math.max(0, (reputation - config.floor) / (unblemished - config.floor)));
}

/**
 * Whether the interaction just recorded sends the device into quarantine: a negative one
 * that leaves its reputation below the floor. A useful update never does, so a device
 * back from cool-off, still below the floor while its record fades, is on probation: its
 * next detection sends it back, its useful updates raise it.
 */
export function quarantine(
  state: ReputationState,
  interaction: Interaction,
  now: number,
  config: ReputationConfig,
): { quarantinedUntil: number } | null {
  if (interaction === "useful") return null;
  return reputationOf(state, now, config) < config.floor
    ? { quarantinedUntil: now + config.coolOffMs }
    : null;
}
