import { describe, expect, it } from "vitest";
import type { CheckinAnswer } from "../shared/protocol/api";
import {
  adminHeaders,
  api,
  assign,
  checkin,
  createTask,
  flatModel,
  registerOnly,
  seededVector,
  upload,
  waitForVersion,
} from "./helpers";

describe("over-selection", () => {
  it("lets a round train only its share of each cluster once the last round got more than it needed, and queues the rest with their place", async () => {
    const task = "over-selection";
    const created = await createTask(task, {
      model: flatModel(4),
      round: { targetUpdates: 2, deadlineSeconds: 600, overSelection: 1 },
      clusters: { targetSize: 4 },
    });
    expect(created.status).toBe(201);
    const devices = [];
    for (let i = 0; i < 4; i++) devices.push(await registerOnly(task, "weur"));
    // Round 1 lets everyone train: four updates arrive where two were wanted.
    for (const d of devices) expect(await assign(task, d)).toBe(0);
    for (const [i, d] of devices.entries())
      expect((await upload(task, d, seededVector(i + 1, 4), { sampleWeight: 1 })).status).toBe(202);
    const view = await waitForVersion(task, 1);
    expect(view.round.selectionShare).toBeCloseTo(0.5, 12); // 1 × 2 wanted ÷ 4 received

    const answers: CheckinAnswer[] = [];
    for (const d of devices) answers.push((await (await checkin(task, d)).json()) as CheckinAnswer);
    expect(answers.map((a) => a.action)).toEqual(["train", "train", "wait", "wait"]);
    expect(answers.slice(2)).toEqual([
      expect.objectContaining({ reason: "queued", position: 1 }),
      expect.objectContaining({ reason: "queued", position: 2 }),
    ]);
    // Asking again keeps its place.
    expect(await (await checkin(task, devices[2]!)).json()).toMatchObject({ reason: "queued", position: 1 });
  });

  it("is refused for FedBuff, naming the field", async () => {
    const res = await api("/v1/admin/tasks/over-selection-async", {
      method: "PUT",
      headers: adminHeaders(),
      body: JSON.stringify({
        model: flatModel(4),
        aggregation: { mode: "async", bufferSize: 4 },
        round: { overSelection: 1.3 },
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /round\.overSelection: over-selection is for synchronous rounds/,
    );
  });
});
