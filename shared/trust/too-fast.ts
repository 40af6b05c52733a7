/**
 * Impossibly fast work: an update that arrived sooner after its assignment than the
 * assigned work can take on the fastest device the task expects. A free rider skips the
 * training (Lin et al. 2019), and skipping it shows in the time.
 */
import { fmt, type Verdict } from "./verdict";

export interface AssignedWork {
  samples: number;
  epochs: number;
}

/** The least time `work` can take at `fastestMsPerSample` per sample and epoch. */
export function minimumWorkMs(work: AssignedWork, fastestMsPerSample: number): number {
  for (const [name, value] of [
    ["samples", work.samples],
    ["epochs", work.epochs],
    ["fastestMsPerSample", fastestMsPerSample],
  ] as const) {
    if (!(Number.isFinite(value) && value >= 0))
      throw new RangeError(`minimumWorkMs: ${name} must be ≥ 0, got ${value}`);
  }
  return work.samples * work.epochs * fastestMsPerSample;
}

/** Score: elapsed / minimum (below 1 is too fast). */
export function tooFast(elapsedMs: number, minimumMs: number): Verdict {
  if (!(minimumMs > 0)) {
    return {
      kind: "too-fast",
      suspicious: false,
      score: Number.POSITIVE_INFINITY,
      reason: "no minimum time for this work",
    };
  }
  const score = elapsedMs / minimumMs;
  return {
    kind: "too-fast",
    suspicious: elapsedMs < minimumMs,
    score,
    reason: `finished in ${fmt(elapsedMs)} ms; the assigned work takes at least ${fmt(minimumMs)} ms`,
  };
}
