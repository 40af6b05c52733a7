/**
 * Battery-aware participation (Bonawitz et al., "Towards Federated Learning at Scale",
 * SysML 2019, §2: devices train only when they can afford it). Shared by the server's
 * check-in decision and the SDK's local check, so both apply the same rule.
 */
export interface BatteryState {
  /** 0 (empty) … 1 (full). */
  level: number;
  charging: boolean;
}

export interface BatteryPolicy {
  /** Below this level a device that is not charging does not train. */
  minBatteryLevel: number;
}

/** Devices that report no battery (mains-powered boxes, Node) always may. */
export function mayTrain(battery: BatteryState | undefined, policy: BatteryPolicy): boolean {
  return battery === undefined || battery.charging || battery.level >= policy.minBatteryLevel;
}

/** The least local work a device that may train is asked for. */
export const MIN_WORK_SCALE = 0.25;

/**
 * The fraction of its configured local work (epochs, examples) a device should do:
 * all of it on mains power, otherwise in proportion to its charge, never below a quarter
 * (less work than that costs a round-trip for too little progress).
 */
export function workScale(battery: BatteryState | undefined): number {
  if (battery === undefined || battery.charging) return 1;
  return Math.min(1, Math.max(MIN_WORK_SCALE, battery.level));
}
