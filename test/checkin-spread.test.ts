import { describe, expect, it, onTestFinished, vi } from "vitest";
import { ClusterAggregator } from "../durable-objects/cluster-aggregator";
import { Coordinator } from "../durable-objects/coordinator";
import { Directory } from "../durable-objects/directory";
import { checkin, createTask, flatModel, registerOnly } from "./helpers";

describe("check-in load", () => {
  it("reaches only the device's own cluster: 60 check-ins spread over 6 clusters, none to the region's directory, at most a view refresh to the coordinator", async () => {
    const task = "checkin-spread";
    expect((await createTask(task, { model: flatModel(4), clusters: { targetSize: 10 } })).status).toBe(201);
    const devices = [];
    for (let i = 0; i < 60; i++) devices.push(await registerOnly(task, "weur"));
    const perCluster = new Map<number, number>();
    const clusterCheckins = vi.spyOn(ClusterAggregator.prototype, "checkin");
    const directoryCalls = [
      vi.spyOn(Directory.prototype, "register"),
      vi.spyOn(Directory.prototype, "shape"),
      vi.spyOn(Directory.prototype, "recordEvaluation"),
    ];
    const coordinatorViews = vi.spyOn(Coordinator.prototype, "getTask");
    onTestFinished(() => {
      vi.restoreAllMocks();
    });

    for (const d of devices) {
      expect((await checkin(task, d)).status).toBe(200);
      perCluster.set(d.cluster, (perCluster.get(d.cluster) ?? 0) + 1);
    }

    expect(clusterCheckins).toHaveBeenCalledTimes(60);
    expect([...perCluster.values()]).toEqual([10, 10, 10, 10, 10, 10]);
    for (const spy of directoryCalls) expect(spy).not.toHaveBeenCalled();
    // The edge's task view is cached (per isolate and per location) for a second.
    expect(coordinatorViews.mock.calls.length).toBeLessThanOrEqual(2);
  });
});
