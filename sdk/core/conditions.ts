/**
 * What a check-in reports about the device: its battery, and its link. For the link the
 * client's own measurements come first (they describe the path to fedge), then whatever the
 * platform estimates; the type comes from the platform, "unknown" if it cannot tell. For
 * the compression controller: the residual ratio of the last update encoded, and uploads
 * refused for load since the last report.
 */
import type { CheckinRequest, NetworkStatus } from "./api-types";
import type { BatteryStatus } from "./battery-policy";
import type { LinkMetrics } from "./link-metrics";

export function checkinReport(
  battery: BatteryStatus | undefined,
  probed: NetworkStatus | undefined,
  measured: Pick<LinkMetrics, "rttMs" | "uplinkBytesPerSecond" | "takeRefusedUploads">,
  residualRatio: number | null = null,
): CheckinRequest {
  const report: CheckinRequest = {};
  if (battery !== undefined) report.battery = { level: battery.level, charging: battery.charging };
  const refusedUploads = measured.takeRefusedUploads();
  if (residualRatio !== null || refusedUploads > 0) {
    report.compression = {};
    if (residualRatio !== null) report.compression.residualRatio = Math.min(1, Math.max(0, residualRatio));
    if (refusedUploads > 0) report.compression.refusedUploads = refusedUploads;
  }
  const rttMs = measured.rttMs ?? probed?.rttMs;
  const uplinkBytesPerSecond = measured.uplinkBytesPerSecond ?? probed?.uplinkBytesPerSecond;
  if (probed === undefined && rttMs === undefined && uplinkBytesPerSecond === undefined) return report;
  report.network = { type: probed?.type ?? "unknown" };
  if (rttMs !== undefined) report.network.rttMs = rttMs;
  if (uplinkBytesPerSecond !== undefined) report.network.uplinkBytesPerSecond = uplinkBytesPerSecond;
  return report;
}
