/**
 * Workers Analytics Engine: the edge writes one point per upload it answers, whatever the
 * answer. The test binding is replaced by one that records, as the deployed one would store.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../workers/app";
import { createTask, denseFrame, flatModel, register, seededVector } from "./helpers";

function recording(): { dataset: AnalyticsEngineDataset; points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return { dataset: { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void points.push(p ?? {}) }, points };
}

describe("analytics points", () => {
  it("writes a point for every upload the edge answers: accepted or refused, with its region, status and size", async () => {
    await createTask("points", { model: flatModel(4), round: { targetUpdates: 10 } });
    const device = await register("points", "sam");
    const { dataset, points } = recording();
    const frame = denseFrame(device, seededVector(1, 4), { sampleWeight: 1 });
    const send = (body: Uint8Array) =>
      app.fetch(
        new Request("https://fedge.test/v1/tasks/points/updates", {
          method: "POST",
          headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "application/octet-stream" },
          body,
        }),
        { ...env, ANALYTICS: dataset },
        createExecutionContext(),
      );

    expect((await send(frame)).status).toBe(202);
    expect((await send(frame.slice(0, 20))).status).toBe(400);

    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({
      indexes: ["points"],
      blobs: ["upload", "sam", "2xx"],
      doubles: [202, expect.any(Number), frame.byteLength],
    });
    expect(points[1]).toMatchObject({
      blobs: ["upload", "sam", "4xx"],
      doubles: [400, expect.any(Number), 20],
    });
  });
});
