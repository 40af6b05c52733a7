/**
 * The compression a device is assigned for a version (task config `compression`): the
 * configured density and bits, or, with the exponential-decay schedule of Deep Gradient
 * Compression (Lin et al., ICLR 2018, §3.3 "warm-up training"), a density that starts near
 * dense and shrinks by a factor c per version down to the configured floor ρ:
 * density(v) = max(c^(v+1), ρ), c = ρ^(1/E) for a warm-up of E versions.
 */
import type { TaskConfig } from "../protocol/task-config";

export function assignedCompression(
  compression: TaskConfig["compression"],
  version: number,
  /** The quality-aware factor (shared/codecs/quality.ts): 1 unless the loss has stalled. */
  shift = 1,
): { density: number; bits: TaskConfig["compression"]["bits"] } {
  const { density: floor, bits, schedule } = compression;
  const scheduled =
    schedule.kind === "fixed"
      ? floor
      : Math.max((floor ** (1 / schedule.warmupVersions)) ** (version + 1), floor);
  return { density: Math.min(1, scheduled * shift), bits };
}
