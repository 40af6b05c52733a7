/**
 * Whether and how much to train, given the battery. The rule itself is the server's
 * (shared/battery-policy.ts), so that device and server never disagree; the server sends
 * its threshold and work scale with each `train` answer, and the client applies the last
 * ones it received before checking in too, so that a device on a low battery does not even
 * spend the radio time to ask.
 */
import {
  type BatteryPolicy,
  type BatteryState,
  workScale as batteryWorkScale,
} from "../../shared/battery-policy";

export { mayTrain } from "../../shared/battery-policy";

export type BatteryStatus = BatteryState;

export interface TrainingPolicy extends BatteryPolicy {
  /** The fraction of its usual local work the server asks for, in (0, 1]. */
  workScale: number;
}

/** Applies until the server sends a policy: the server's default threshold, full work. */
export const DEFAULT_POLICY: TrainingPolicy = { minBatteryLevel: 0.2, workScale: 1 };

/**
 * The work scale passed to the trainer: the smaller of the server's and what the battery
 * allows now (the server computed its own from the battery reported at check-in, which may
 * since have drained). Kept in (0, 1] whatever the server sends.
 */
export function workScale(battery: BatteryStatus | undefined, policy: TrainingPolicy): number {
  const server = policy.workScale > 0 ? Math.min(1, policy.workScale) : 1;
  return Math.min(server, batteryWorkScale(battery));
}
