/**
 * A per-device adaptive rate by additive increase, multiplicative decrease (Chiu & Jain,
 * "Analysis of the Increase and Decrease Algorithms for Congestion Avoidance in Computer
 * Networks", Computer Networks and ISDN Systems 17(1), 1989: of the linear controls, only
 * AIMD converges to both efficiency and fairness; TCP congestion avoidance, RFC 5681 §3.1).
 * The rate is what shared/congestion/gcra.ts admits per device.
 *
 * The rule, applied at each signal (one per upload attempt the device makes):
 * - "clear":     rate ← min(maxRate, rate + increasePerSecond × seconds since the last signal)
 * - "congested": rate ← max(minRate, rate × decreaseFactor)
 *
 * The increase is per second, not per signal, as TCP's is per round trip rather than per
 * ACK: a device that sends often does not climb faster than one that sends rarely, and a
 * device that went quiet after being slowed finds its rate relaxed when it returns. The
 * decrease is per signal, so a device that keeps sending into congestion (ignoring
 * Retry-After) is slowed geometrically while a polite one is slowed once; equal
 * multiplicative cuts take more from the faster device, which is what pulls rates together.
 * A device with no state starts at maxRate: a fresh device has done nothing to be slowed for.
 */
export interface AimdState {
  /** Current rate, in the caller's unit (uploads/s for the cluster). */
  rate: number;
  /** When the last signal was applied, ms. */
  updatedAt: number;
}

export interface AimdConfig {
  minRate: number;
  maxRate: number;
  /** Rate added per second of clear signal. */
  increasePerSecond: number;
  /** Multiplier on congestion, in (0, 1); TCP uses 1/2. */
  decreaseFactor: number;
}

export type CongestionSignal = "congested" | "clear";

export function aimdUpdate(
  state: AimdState | undefined,
  signal: CongestionSignal,
  config: AimdConfig,
  now: number,
): AimdState {
  validateAimdConfig(config);
  const { minRate, maxRate, increasePerSecond, decreaseFactor } = config;
  if (state === undefined) {
    return {
      rate: signal === "clear" ? maxRate : Math.max(minRate, maxRate * decreaseFactor),
      updatedAt: now,
    };
  }
  // A clock that steps backwards counts as no time elapsed.
  const elapsedSeconds = Math.max(0, now - state.updatedAt) / 1000;
  const rate =
    signal === "clear" ? state.rate + increasePerSecond * elapsedSeconds : state.rate * decreaseFactor;
  return { rate: Math.min(maxRate, Math.max(minRate, rate)), updatedAt: Math.max(now, state.updatedAt) };
}

/** Throws a RangeError naming the first field out of range; call it when the config is set. */
export function validateAimdConfig({
  minRate,
  maxRate,
  increasePerSecond,
  decreaseFactor,
}: AimdConfig): void {
  if (!(minRate > 0 && Number.isFinite(minRate))) {
    throw new RangeError(`aimd.minRate must be a finite number > 0, got ${minRate}`);
  }
  if (!(maxRate >= minRate && Number.isFinite(maxRate))) {
    throw new RangeError(`aimd.maxRate must be finite and >= aimd.minRate (${minRate}), got ${maxRate}`);
  }
  if (!(increasePerSecond >= 0 && Number.isFinite(increasePerSecond))) {
    throw new RangeError(`aimd.increasePerSecond must be a finite number >= 0, got ${increasePerSecond}`);
  }
  if (!(decreaseFactor > 0 && decreaseFactor < 1)) {
    throw new RangeError(`aimd.decreaseFactor must be in (0, 1), got ${decreaseFactor}`);
  }
}
