/**
 * Metrics ride the tree: what clusters and regions record travels up with their batches,
 * and the coordinator's totals are what GET /v1/tasks/:task/status and GET
 * /v1/admin/metrics show.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import type { TaskStatus } from "../workers/status";
import {
  adminHeaders,
  api,
  createTask,
  type Device,
  flatModel,
  register,
  seededVector,
  upload,
  waitForVersion,
} from "./helpers";

const DIM = 16;

describe("monitoring", () => {
  it("shows at the coordinator what every cluster and region recorded, carried up with their flushes", async () => {
    // Prepare: two regions, one cluster of two devices each; the round closes at four updates.
    await createTask("watched", {
      model: flatModel(DIM),
      round: { targetUpdates: 4, deadlineSeconds: 3600 },
      clusters: { targetSize: 2 },
    });
    const devices: Device[] = [];
    for (const region of ["weur", "weur", "enam", "enam"] as const)
      devices.push(await register("watched", region));

    // Execute: one refused duplicate before its cluster flushes, then every device's update.
    expect((await upload("watched", devices[0]!, seededVector(1, DIM), { sampleWeight: 1 })).status).toBe(
      202,
    );
    expect((await upload("watched", devices[0]!, seededVector(2, DIM), { sampleWeight: 1 })).status).toBe(
      409,
    );
    for (const [i, d] of devices.slice(1).entries()) {
      expect((await upload("watched", d, seededVector(3 + i, DIM), { sampleWeight: 1 })).status).toBe(202);
    }
    await waitForVersion("watched", 1);
    const res = await api("/v1/tasks/watched/status", { headers: adminHeaders() });

    // Assert
    expect(res.status).toBe(200);
    const status = (await res.json()) as TaskStatus;
    expect(status.model.version).toBe(1);
    expect(status.updates).toEqual({
      accepted: 4,
      refused: { duplicate_contribution: 1 },
      clipped: 0,
      deadLettered: 0,
    });
    expect(status.compression).toEqual({
      payloadBytes: 4 * 4 * DIM,
      denseBytes: 4 * 4 * DIM,
      ratio: 1,
      bytesSaved: 0,
    });
    expect(status.latency.cluster_ingest!.count).toBe(4);
    expect(status.latency.edge!.count).toBe(4);
    expect(status.latency.in_cluster!.count).toBe(4);
    expect(status.latency.region!.count).toBe(2);
    expect(status.latency.coordinator_apply!.count).toBe(1);
    expect(status.latency.end_to_end!.count).toBe(1);
    expect(status.flushes.cluster).toEqual({ batches: 2, meanUpdates: 2 });
    expect(status.fillRatio).toMatchObject({ count: 2, p50: expect.any(Number) });
    expect(status.tree).toEqual({
      depth: 3,
      regions: {
        weur: {
          clusters: 1,
          devices: 2,
          maxClusterSize: 2,
          minClusterSize: 2,
          reclusterings: 0,
          moved: 0,
          innerLevels: 0,
          maxFanIn: 1,
        },
        enam: {
          clusters: 1,
          devices: 2,
          maxClusterSize: 2,
          minClusterSize: 2,
          reclusterings: 0,
          moved: 0,
          innerLevels: 0,
          maxFanIn: 1,
        },
      },
    });
    expect(status.versions.map((v) => [v.version, v.updates])).toEqual([[1, 4]]);
  });

  it("exposes every task's metrics to Prometheus, admin only", async () => {
    await createTask("scraped", {
      model: flatModel(DIM),
      round: { targetUpdates: 1, deadlineSeconds: 3600 },
    });
    const d = await register("scraped", "weur");
    expect((await upload("scraped", d, seededVector(9, DIM), { sampleWeight: 1 })).status).toBe(202);
    await waitForVersion("scraped", 1);

    const res = await api("/v1/admin/metrics", { headers: adminHeaders() });
    const anonymous = await api("/v1/admin/metrics");

    expect(anonymous.status).toBe(401);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/plain; version=0.0.4");
    const text = await res.text();
    const metrics = Object.fromEntries(parsePrometheusTextFormat(text).map((m) => [m.name, m]));
    const forTask = (name: string) => metrics[name]!.metrics.find((m) => m.labels?.task === "scraped");
    expect(forTask("fedge_updates_accepted_total")?.value).toBe("1");
    expect(forTask("fedge_versions_published_total")?.value).toBe("1");
    expect(forTask("fedge_model_version")?.value).toBe("1");
    expect(metrics.fedge_model_version!.type).toBe("GAUGE");
    expect(text).toMatch(/^fedge_stage_duration_seconds_count\{stage="cluster_ingest",task="scraped"\} 1$/m);
    // Resource use, observed by each tier when it seals a batch.
    for (const tier of ["cluster", "region", "coordinator"]) {
      expect(text).toMatch(
        new RegExp(`^fedge_object_storage_bytes_count\\{tier="${tier}",task="scraped"\\} 1$`, "m"),
      );
    }
    expect(text).toMatch(/^fedge_accumulator_bytes_count\{tier="cluster",task="scraped"\} 1$/m);
  });
});
