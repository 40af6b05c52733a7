import { describe, expect, it } from "vitest";
import { checkinReport } from "./conditions";
import { LinkMetrics } from "./link-metrics";

describe("LinkMetrics", () => {
  it("smooths round trips as TCP does: the first sample, then 7/8 old + 1/8 new", () => {
    const metrics = new LinkMetrics();
    metrics.recordRoundTrip(80);
    expect(metrics.rttMs).toBe(80);
    metrics.recordRoundTrip(160);
    expect(metrics.rttMs).toBe(90);
  });

  it("reports upload throughput, ignoring zero durations, smoothed over uploads (¼ new)", () => {
    const metrics = new LinkMetrics();
    metrics.recordUpload(50_000, 500);
    metrics.recordUpload(1_000, 0);
    expect(metrics.uplinkBytesPerSecond).toBe(100_000);
    metrics.recordUpload(20_000, 100);
    expect(metrics.uplinkBytesPerSecond).toBe(125_000);
  });

  it("takes the round trip out of an upload's time: 1,400 B answered in 102 ms over a 100 ms RTT is a fast link, not 14 kB/s", () => {
    const metrics = new LinkMetrics();
    metrics.recordRoundTrip(100);
    metrics.recordUpload(1_400, 102);
    // 1,400 B in max(102 − 100, 102 / 20) = 5.1 ms: 20× the 13.7 kB/s that counting the RTT gives.
    expect(metrics.uplinkBytesPerSecond).toBe(274_510);
    const fresh = new LinkMetrics();
    fresh.recordRoundTrip(100);
    fresh.recordUpload(250_000, 500);
    expect(fresh.uplinkBytesPerSecond).toBe(625_000); // 250 kB in 400 ms
  });
});

describe("checkinReport", () => {
  const none = { rttMs: undefined, uplinkBytesPerSecond: undefined, takeRefusedUploads: () => 0 };

  it("is empty when nothing is known", () => {
    expect(checkinReport(undefined, undefined, none)).toEqual({});
  });

  it("reports the battery as probed", () => {
    expect(checkinReport({ level: 0.5, charging: true }, undefined, none)).toEqual({
      battery: { level: 0.5, charging: true },
    });
  });

  it("reports measured RTT and throughput, over the platform's estimates, with an unknown link type", () => {
    const measured = { rttMs: 42, uplinkBytesPerSecond: 9000, takeRefusedUploads: () => 0 };
    expect(checkinReport(undefined, undefined, measured)).toEqual({
      network: { type: "unknown", rttMs: 42, uplinkBytesPerSecond: 9000 },
    });
    expect(checkinReport(undefined, { type: "wifi", rttMs: 300 }, measured)).toEqual({
      network: { type: "wifi", rttMs: 42, uplinkBytesPerSecond: 9000 },
    });
  });

  it("falls back to the platform's RTT estimate until the client has measured its own", () => {
    expect(checkinReport(undefined, { type: "cellular", rttMs: 300 }, none)).toEqual({
      network: { type: "cellular", rttMs: 300 },
    });
  });

  it("reports the last residual ratio and the uploads refused for load since the last report, once", () => {
    const metrics = new LinkMetrics();
    metrics.recordRefusal();
    metrics.recordRefusal();
    expect(checkinReport(undefined, undefined, metrics, 0.25)).toEqual({
      compression: { residualRatio: 0.25, refusedUploads: 2 },
    });
    expect(checkinReport(undefined, undefined, metrics, 0.25)).toEqual({
      compression: { residualRatio: 0.25 },
    });
    expect(checkinReport(undefined, undefined, metrics)).toEqual({});
  });
});
