import { describe, expect, it } from "vitest";
import type { Region } from "../shared/regions";
import {
  createTask,
  type Device,
  flatModel,
  manifest,
  maxAbsDiff,
  register,
  seededVector,
  upload,
  waitForVersion,
  weightedAverageStep,
  weights,
} from "./helpers";

describe("a round, edge → cluster → region → coordinator", () => {
  it("publishes the sample-weighted average of 36 devices' updates across 3 regions as the next version", async () => {
    // Prepare: 3 regions × 12 devices, clusters of 5 (so 3 clusters per region, the last one partial).
    const dim = 1000;
    const regions: Region[] = ["weur", "enam", "apac"];
    const created = await createTask("e2e", {
      model: { ...flatModel(dim), init: { kind: "uniform", scale: 0.1, seed: 7 } },
      round: { targetUpdates: 36, deadlineSeconds: 600 },
      clusters: { targetSize: 5 },
    });
    expect(created.status).toBe(201);
    const initial = await weights("e2e", 0);
    const devices: Device[] = [];
    for (const region of regions) for (let i = 0; i < 12; i++) devices.push(await register("e2e", region));
    expect(new Set(devices.map((d) => `${d.region}/${d.cluster}`)).size).toBe(9);

    // Execute: every device uploads a known vector with its own sample count.
    const updates = devices.map((_, i) => ({ values: seededVector(i + 1, dim), n: 10 + 7 * i }));
    const expected = weightedAverageStep(initial, updates);
    const responses = await Promise.all(
      devices.map((d, i) => upload("e2e", d, updates[i]!.values, { sampleWeight: updates[i]!.n })),
    );
    for (const r of responses) expect(r.status).toBe(202);

    // Assert: version 1 is w0 + Σ nᵢΔᵢ / Σ nᵢ.
    const view = await waitForVersion("e2e", 1);
    expect(view.model).toMatchObject({ version: 1, updates: 36, fromRound: 1 });
    expect(await manifest("e2e")).toMatchObject({ version: 1 });
    expect(maxAbsDiff(await weights("e2e", 1), expected)).toBeLessThanOrEqual(1e-6);
  });
});
