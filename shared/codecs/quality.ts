/**
 * Quality-aware compression: the factor by which every device's assigned density is
 * multiplied (never past dense), moved at each published version from the federated
 * evaluation loss. Over the last `window` evaluated versions, if the newer half's mean loss
 * is not at least `tolerance` (relative) below the older half's — the loss stalls or rises —
 * the factor doubles, up to `maxShift`; if it is, the factor halves, down to 1. Fewer
 * evaluated versions than the window leave it as it is.
 */
import type { TaskConfig } from "../protocol/task-config";

export type QualityPolicy = Extract<TaskConfig["compression"]["quality"], { kind: "loss-window" }>;

export function nextShift(shift: number, losses: readonly number[], p: QualityPolicy): number {
  if (losses.length < p.window) return shift;
  const recent = losses.slice(-p.window);
  const half = Math.floor(p.window / 2);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [older, newer] = [mean(recent.slice(0, half)), mean(recent.slice(half))];
  return newer > older * (1 - p.tolerance) ? Math.min(p.maxShift, shift * 2) : Math.max(1, shift / 2);
}
