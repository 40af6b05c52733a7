import { describe, expect, it } from "vitest";
import { detectorsIn, type MemberView, summarize } from "./detection";
import type { Role } from "./roster";

const member = (device: string, detections: number, quarantined = false, judged = true): MemberView => ({
  device,
  detections,
  lastDetection: detections > 0 ? "direction-outlier: cosine -0.5" : null,
  reputation: judged ? (detections > 0 ? 0.35 : 0.7) : null,
  quarantinedUntil: quarantined ? "2030-01-01T00:00:00.000Z" : null,
});

describe("summarize", () => {
  it("counts a device detected once or more, by its role in registration order", () => {
    const roles: Role[] = ["honest", "sybil", "honest", "sign-flip", "sybil", "honest"];
    const registrations = ["a", "b", "c", "d", "e", "f"].map((deviceId) => ({ deviceId }));
    const members = [
      member("a", 0),
      member("b", 3, true),
      member("c", 1),
      member("d", 0),
      member("e", 1),
      member("f", 0),
    ];

    const d = summarize(roles, registrations, members);

    expect(d.recall).toBeCloseTo(2 / 3);
    expect(d.falsePositiveRate).toBeCloseTo(1 / 3);
    expect(d.recallOfJudged).toBeCloseTo(2 / 3);
    expect(d.byKind.sybil).toEqual({ devices: 2, judged: 2, detected: 2 });
    expect(d.byKind["sign-flip"]).toEqual({ devices: 1, judged: 1, detected: 0 });
    expect(d.byKind.noise).toEqual({ devices: 0, judged: 0, detected: 0 });
    expect(d.quarantined).toBe(1);
    expect(d.quarantinedHonest).toBe(0);
    expect(d.falsePositives.map((f) => f.device)).toEqual(["c"]);
    expect(d.lastFlaggedBy).toEqual({
      sybil: { "direction-outlier": 2 },
      honest: { "direction-outlier": 1 },
    });
  });

  it("tells an adversary whose updates were never judged from one the detectors passed", () => {
    const roles: Role[] = ["scaled", "scaled", "sign-flip", "honest"];
    const registrations = ["a", "b", "c", "d"].map((deviceId) => ({ deviceId }));
    // a: flagged; b: registered, never had an update judged (no reputation); c: judged, passed.
    const members = [member("a", 2), member("b", 0, false, false), member("c", 0), member("d", 0)];

    const d = summarize(roles, registrations, members);

    expect(d.recall).toBeCloseTo(1 / 3);
    expect(d.recallOfJudged).toBeCloseTo(1 / 2);
    expect(d.byKind.scaled).toEqual({ devices: 2, judged: 1, detected: 1 });
    expect(d.byKind["sign-flip"]).toEqual({ devices: 1, judged: 1, detected: 0 });
  });

  it("counts a device absent from every member view as never detected", () => {
    const d = summarize(["scaled", "honest"], [{ deviceId: "x" }, { deviceId: "y" }], []);

    expect(d.recall).toBe(0);
    expect(d.recallOfJudged).toBe(1);
    expect(d.falsePositiveRate).toBe(0);
    expect(d.meanReputation).toEqual({ honest: null, adversarial: null });
  });
});

describe("detectorsIn", () => {
  it("reads each detector named in a last detection once, whatever its reason says", () => {
    expect(
      detectorsIn(
        "near-duplicate: cosine above 0.99 with device a; direction-outlier: cosine -0.5 with x: y; near-duplicate: again",
      ),
    ).toEqual(["near-duplicate", "direction-outlier"]);
    expect(detectorsIn(null)).toEqual([]);
  });
});
