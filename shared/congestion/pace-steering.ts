/**
 * Pace steering (Bonawitz et al., "Towards Federated Learning at Scale: System Design",
 * SysML 2019, §2.3): the server tells each device when to check in next, spreading a large
 * population's check-ins over a reconnect window instead of letting them arrive together.
 *
 * The window holds `targetConcurrent` check-ins per period:
 *   windowMs = max(1, ⌈activeDevices / targetConcurrent⌉) × periodSeconds × 1000
 * and a device's offset in it is a fixed fraction of the window taken from a hash of its key,
 * so the same device keeps the same place (its check-ins are periodic, not random) while the
 * population spreads evenly; when the population grows, the window stretches and every device
 * keeps its relative place. The hash is FNV-1a over the key's UTF-16 code units (Fowler, Noll
 * & Vo; draft-eastlake-fnv) finished with MurmurHash3's fmix32 (Appleby), so that keys which
 * differ only in their last characters still land far apart.
 */
export interface PaceInput {
  /** Devices expected to check in (the cluster's, or the task's population). */
  activeDevices: number;
  /** Check-ins wanted per period. */
  targetConcurrent: number;
  periodSeconds: number;
}

export interface Pace {
  windowMs: number;
  /** The device's place in the window, in [0, windowMs). */
  offsetMs: number;
}

export function paceSteering(input: PaceInput, deviceKey: string): Pace {
  validatePaceInput(input);
  const periods = Math.max(1, Math.ceil(input.activeDevices / input.targetConcurrent));
  const windowMs = Math.round(periods * input.periodSeconds * 1000);
  return { windowMs, offsetMs: Math.floor((hash32(deviceKey) / 2 ** 32) * windowMs) };
}

/** Ms from `now` to the device's next slot (strictly after now): windows are aligned to multiples of windowMs. */
export function paceDelayMs(pace: Pace, now: number): number {
  const slot = Math.floor(now / pace.windowMs) * pace.windowMs + pace.offsetMs;
  return slot > now ? slot - now : slot + pace.windowMs - now;
}

/** Throws a RangeError naming the first field out of range. */
export function validatePaceInput({ activeDevices, targetConcurrent, periodSeconds }: PaceInput): void {
  if (!(Number.isSafeInteger(activeDevices) && activeDevices >= 0)) {
    throw new RangeError(`pace.activeDevices must be an integer >= 0, got ${activeDevices}`);
  }
  if (!(targetConcurrent > 0 && Number.isFinite(targetConcurrent))) {
    throw new RangeError(`pace.targetConcurrent must be a finite number > 0, got ${targetConcurrent}`);
  }
  if (!(periodSeconds >= 0.001 && Number.isFinite(periodSeconds))) {
    throw new RangeError(`pace.periodSeconds must be a finite number >= 0.001, got ${periodSeconds}`);
  }
}

function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
