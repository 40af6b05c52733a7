/**
 * Points for Workers Analytics Engine (the ANALYTICS binding): what an operator queries
 * with SQL over time, beside the metrics that ride the tree (GET /v1/admin/metrics). One
 * point per upload answered at the edge and one per published version. Locally the
 * binding accepts points and keeps none; a deployment without the binding writes nothing.
 *
 * Schema — uploads: index task; blobs [kind = "upload", region, outcome (HTTP status
 * class or error code)]; doubles [status, milliseconds at the edge, body bytes].
 * Versions: index task; blobs [kind = "version"]; doubles [version, updates, weight,
 * seconds from the oldest update's acknowledgement to publication].
 */
export function uploadPoint(
  env: { ANALYTICS?: AnalyticsEngineDataset },
  point: { task: string; region: string; status: number; code: string; ms: number; bytes: number },
): void {
  env.ANALYTICS?.writeDataPoint({
    indexes: [point.task],
    blobs: ["upload", point.region, point.code],
    doubles: [point.status, point.ms, point.bytes],
  });
}

export function versionPoint(
  env: { ANALYTICS?: AnalyticsEngineDataset },
  point: { task: string; version: number; updates: number; weight: number; endToEndSeconds: number },
): void {
  env.ANALYTICS?.writeDataPoint({
    indexes: [point.task],
    blobs: ["version"],
    doubles: [point.version, point.updates, point.weight, point.endToEndSeconds],
  });
}
