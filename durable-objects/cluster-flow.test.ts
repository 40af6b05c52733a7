import { describe, expect, it } from "vitest";
import { ClusterFlow, FLOW } from "./cluster-flow";

const calm = { backlog: 0, inFlight: 0, queuedMs: 0 };
const T0 = 1_000_000;
/** A fixed draw: Retry-After values are then deterministic. */
const half = () => 0.5;

describe("flow control at a cluster", () => {
  it("admits a device's burst, then limits it to its rate with a Retry-After that lets it in", () => {
    const flow = new ClusterFlow(10, T0, half);
    for (let i = 0; i < FLOW.burst; i++) expect(flow.admit("d", 100, calm, T0)).toBeNull();
    const refusal = flow.admit("d", 100, calm, T0);
    expect(refusal).toMatchObject({ code: "rate_limited", retryAfterSeconds: 1 });
    expect(flow.admit("d", 100, calm, T0 + 1000 * refusal!.retryAfterSeconds)).toBeNull();
    // Another device has its own allowance.
    expect(flow.admit("e", 100, calm, T0)).toBeNull();
  });

  it("sheds with 503 overloaded once the backlog passes what it drains in the target delay (Little's law)", () => {
    const flow = new ClusterFlow(10, T0, half);
    // Nothing has drained: the floor, 2 × cluster size, is what it holds.
    expect(flow.admit("d", 100, { ...calm, backlog: 19 }, T0)).toBeNull();
    expect(flow.admit("e", 100, { ...calm, backlog: 20 }, T0)).toMatchObject({ code: "overloaded" });
    // Once it drains 100 updates/s, a second's worth (the target delay) is fine.
    for (let t = 1; t <= 20; t++) flow.drained(50, 5000, T0 + t * 500);
    expect(flow.admit("f", 100, { ...calm, backlog: 60 }, T0 + 10_000)).toBeNull();
    const shed = flow.admit("g", 100, { ...calm, backlog: 200 }, T0 + 10_000);
    expect(shed?.code).toBe("overloaded");
    // Retry-After follows the drain time of the backlog, about 2 s here, jittered in [2, 4].
    expect(shed!.retryAfterSeconds).toBeGreaterThanOrEqual(2);
    expect(shed!.retryAfterSeconds).toBeLessThanOrEqual(4);
  });

  it("sheds a request that waited longer than the target delay to arrive, and slows its device (AIMD)", () => {
    const flow = new ClusterFlow(10, T0, half);
    expect(flow.admit("d", 100, { ...calm, queuedMs: FLOW.maxDelayMs + 1 }, T0)).toMatchObject({
      code: "overloaded",
    });
    // The congestion signal halved d's rate: after its burst, it waits 1/(rate/2) = 1 s, not 0.5 s.
    for (let i = 0; i < FLOW.burst; i++) expect(flow.admit("d", 100, calm, T0)).toBeNull();
    const refusal = flow.admit("d", 100, calm, T0);
    expect(refusal?.code).toBe("rate_limited");
    expect(flow.admit("d", 100, calm, T0 + 600)).not.toBeNull();
  });

  it("holds a device to its window of updates in flight, and grants the rest as credits", () => {
    const flow = new ClusterFlow(10, T0, half);
    expect(flow.admit("d", 100, { ...calm, inFlight: FLOW.window - 1 }, T0)).toBeNull();
    expect(flow.admit("d", 100, { ...calm, inFlight: FLOW.window }, T0)).toMatchObject({
      code: "window_full",
    });
    expect(flow.credits(1)).toBe(FLOW.window - 1);
    expect(flow.credits(FLOW.window + 2)).toBe(0);
  });

  it("holds a device of a task with privacy.dp to one update in flight (window 1), with credits to match", () => {
    const flow = new ClusterFlow(10, T0, half, 1);
    expect(flow.admit("d", 100, calm, T0)).toBeNull();
    expect(flow.admit("d", 100, { ...calm, inFlight: 1 }, T0)).toMatchObject({
      code: "window_full",
      message: expect.stringContaining("its window is 1"),
    });
    expect([flow.credits(0), flow.credits(1)]).toEqual([1, 0]);
  });

  it("keeps a greedy device to its fair share of bytes while quiet ones always get theirs", () => {
    // Capacity C per second. Three quiet devices send C/4 once a second; a greedy one sends
    // C/2 twice a second (its full rate): demand 3C/4 + C against C, so max-min gives the
    // greedy one C/4 a second — a quarter of what it asks.
    const flow = new ClusterFlow(10, T0, half);
    const C = FLOW.budget.minCapacityBytes;
    let greedyBytes = 0;
    const quiet = [0, 0, 0];
    const seconds = 30;
    for (let ms = 0; ms < seconds * 1000; ms += 500) {
      if (flow.admit("greedy", C / 2, calm, T0 + ms) === null) greedyBytes += C / 2;
      if (ms % 1000 === 0) {
        for (const q of [0, 1, 2])
          if (flow.admit(`quiet-${q}`, C / 4, calm, T0 + ms + 1) === null) quiet[q]! += 1;
      }
    }
    expect(quiet).toEqual([seconds, seconds, seconds]);
    const fairShare = (seconds * C) / 4;
    expect(greedyBytes).toBeLessThanOrEqual(1.5 * fairShare);
    expect(greedyBytes).toBeGreaterThanOrEqual(0.5 * fairShare);
  });

  it("spreads the check-ins of devices told to come back over a window that grows with the members", () => {
    const flow = new ClusterFlow(10, T0, half);
    const offsets = Array.from({ length: 100 }, (_, i) => flow.paceSeconds(100, `device-${i}`));
    expect(Math.max(...offsets)).toBeLessThan(100 / FLOW.checkinsPerSecond);
    expect(new Set(offsets).size).toBeGreaterThan(5);
    expect(flow.paceSeconds(5, "device-1")).toBe(0);
  });
});
