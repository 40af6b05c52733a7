import { describe, expect, it } from "vitest";
import { Codec } from "../shared/protocol/frame";
import { DEFAULT_REPUTATION_CONFIG } from "../shared/trust/index";
import { seededVector } from "../test/fixtures";
import { type BatchInput, ClusterTrust, type TrustPolicy } from "./cluster-trust";

const DIM = 32;
const policy: TrustPolicy = {
  detect: true,
  robust: { kind: "mean" },
  minMsPerExample: 0,
  reputation: DEFAULT_REPUTATION_CONFIG,
};

const seeded = (seed: number): Float32Array => seededVector(seed, DIM);

function input(device: string, update: Float32Array): BatchInput {
  return {
    id: `${device}:u`,
    device,
    codec: Codec.DenseF32,
    payload: new Uint8Array(update.buffer.slice(0)),
    scale: 1,
    weight: 1,
    norm: Math.hypot(...update),
    version: 3,
    elapsedMs: null,
  };
}

describe("the cluster's detectors and the global model", () => {
  it("judges direction against the model's drift and catches a replayed global delta, sparing honest devices that disagree with each other", async () => {
    // Prepare: the model drifted along d over versions 0 → 3; the last step was delta.
    const d = seeded(1);
    const weights = (v: number) => d.map((x) => x * v);
    const trust = new ClusterTrust();
    for (const v of [2, 3]) await trust.observeVersion(v, async (version) => weights(version));
    const delta = weights(3).map((w, j) => w - weights(2)[j]!);
    // Honest devices: the drift plus strong disagreement among themselves (label skew).
    const honest = [2, 3, 4, 5, 6].map((s) => d.map((x, j) => x + 1.5 * seeded(10 * s)[j]!));
    const inputs = [
      ...honest.map((u, i) => input(`h${i}`, u)),
      input(
        "flip",
        d.map((x) => -x),
      ),
      input("replay", delta),
    ];

    // Execute
    const judgement = trust.judge(
      inputs,
      DIM,
      policy,
      new Map(),
      inputs.map((i) => i.norm),
      0,
    );

    // Assert
    const flagged = new Map<string, string[]>();
    for (const { device, verdict } of judgement.detections) {
      flagged.set(device, [...(flagged.get(device) ?? []), verdict.kind]);
    }
    expect(flagged.get("flip")).toContain("direction-outlier");
    expect(flagged.get("replay")).toContain("free-rider");
    for (let i = 0; i < honest.length; i++) expect(flagged.get(`h${i}`)).toBeUndefined();
    expect(judgement.factors.get("flip:u")).toBe(0);
    expect(judgement.factors.get("h0:u")).toBe(1);
  });

  it("does not judge direction before the model has drifted for three versions", async () => {
    const trust = new ClusterTrust();
    await trust.observeVersion(1, async (v) => seeded(1).map((x) => x * v));
    const batch = [1, 2, 3].map((s) => input(`h${s}`, seeded(s)));
    const judgement = trust.judge(
      batch,
      DIM,
      policy,
      new Map(),
      batch.map((i) => i.norm),
      0,
    );
    expect(judgement.detections.filter((d) => d.verdict.kind === "direction-outlier")).toEqual([]);
  });
});
