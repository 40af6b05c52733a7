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

function input(device: string, update: Float32Array, version = 6): BatchInput {
  return {
    id: `${device}:u`,
    device,
    codec: Codec.DenseF32,
    payload: new Uint8Array(update.buffer.slice(0)),
    scale: 1,
    weight: 1,
    norm: Math.hypot(...update),
    version,
    elapsedMs: null,
  };
}

describe("the cluster's detectors and the global model", () => {
  it("judges direction against the model's drift and catches a replayed global delta, sparing honest devices that disagree with each other", async () => {
    // Prepare: the model drifted along d over versions 0 → 6; the last step was delta.
    const d = seeded(1);
    const weights = (v: number) => d.map((x) => x * v);
    const trust = new ClusterTrust();
    for (const v of [5, 6]) await trust.observeVersion(v, async (version) => weights(version));
    const delta = weights(6).map((w, j) => w - weights(5)[j]!);
    // Honest devices: the drift plus strong disagreement among themselves (label skew); in 32
    // dimensions more disagreement than this is within the noise test's band (3/√d ≈ 0.53).
    const honest = [2, 3, 4, 5, 6].map((s) => d.map((x, j) => x + 1.2 * seeded(10 * s)[j]!));
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
    for (let i = 0; i < honest.length; i++)
      expect(flagged.get(`h${i}`), `h${i}: ${JSON.stringify(judgement.detections)}`).toBeUndefined();
    expect(judgement.factors.get("flip:u")).toBe(0);
    expect(judgement.factors.get("h0:u")).toBe(1);
  });

  it("does not judge direction before the model has drifted for six versions", async () => {
    const trust = new ClusterTrust();
    await trust.observeVersion(5, async (v) => seeded(1).map((x) => x * v));
    const flip = seeded(1).map((x) => -x);
    const batch = [input("flip", flip, 5), ...[2, 3].map((s) => input(`h${s}`, seeded(s), 5))];
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

  it("catches a free rider sending back the model's movement over several versions, which no single step matches", async () => {
    // The model moves by an independent step per version; a device assigned version 6 that
    // last saw version 3 sends w₆ − w₃.
    const weights = new Map<number, Float32Array>([[0, new Float32Array(DIM)]]);
    for (let v = 1; v <= 6; v++) {
      const step = seeded(100 + v);
      weights.set(
        v,
        weights.get(v - 1)!.map((w, j) => w + step[j]!),
      );
    }
    const trust = new ClusterTrust();
    for (const v of [3, 4, 5, 6]) await trust.observeVersion(v, async (version) => weights.get(version)!);
    const replay = weights.get(6)!.map((w, j) => w - weights.get(3)![j]!);
    // Honest updates: along the last step, plus as much again of their own.
    const lastStep = weights.get(6)!.map((w, j) => w - weights.get(5)![j]!);
    const honest = [7, 8].map((s) =>
      input(
        `h${s}`,
        lastStep.map((x, j) => x + seeded(s)[j]!),
      ),
    );
    const batch = [input("replay", replay), ...honest];

    const judgement = trust.judge(
      batch,
      DIM,
      policy,
      new Map(),
      [1, 1.1, 0.9, 1, 1.2].map((x) => x * Math.hypot(...replay)),
      0,
    );

    const replays = judgement.detections.filter((d) => d.device === "replay");
    expect(replays.map((d) => d.verdict.reason)).toContainEqual(
      expect.stringMatching(/movement from version 3 to 6/),
    );
    expect(judgement.detections.filter((d) => d.device !== "replay")).toEqual([]);
  });

  it("judges noise against the other updates' median, not a median the noise itself is part of", async () => {
    // Two honest devices on disjoint features (label skew, sparse data) and a noise update:
    // wherever one honest update is 0, the median of the three is whichever value lies
    // between 0 and the other — often the noise's own, so the whole batch's median follows it.
    const dim = 4096;
    const noise = seededVector(5, dim);
    const drift = Float32Array.from({ length: dim }, (_, j) => (j % 3 === 0 ? 1 : 0));
    const sparse = (from: number, seed: number) => {
      const own = seededVector(seed, dim);
      return drift.map((x, j) => (j >= from && j < from + dim / 2 ? x + 0.3 * own[j]! : 0));
    };
    const trust = new ClusterTrust();
    await trust.observeVersion(6, async (v) => drift.map((x) => x * v));
    const at = (device: string, u: Float32Array): BatchInput => ({
      ...input(device, u),
      payload: new Uint8Array(u.buffer.slice(0)),
      norm: Math.hypot(...u),
    });
    const batch = [at("noise", noise), at("a", sparse(0, 6)), at("b", sparse(dim / 2, 7))];

    const judgement = trust.judge(
      batch,
      dim,
      policy,
      new Map(),
      batch.map((i) => i.norm),
      0,
    );

    const flagged = judgement.detections.map((d) => `${d.device} ${d.verdict.kind}`);
    expect(flagged).toContain("noise free-rider");
    expect(flagged.filter((f) => !f.startsWith("noise"))).toEqual([]);
  });

  it("flags a device whose updates keep leaning against the drift from its fifth, one far against it at once, and spares one that leans a little", async () => {
    // Drift along d; each update alone in its batch (its batch's median is itself, so the
    // one-update test, which needs the median against it too, never fires).
    const d = seeded(1);
    const trust = new ClusterTrust();
    await trust.observeVersion(8, async (v) => d.map((x) => x * v));
    const unit = (x: Float32Array) => x.map((v) => v / Math.hypot(...x));
    /** An update with cosine c with d: c·d̂ + √(1 − c²)·(a direction orthogonal to d). */
    const leaning = (c: number, seed: number) => {
      const dHat = unit(d);
      const r = seeded(seed);
      const along = r.reduce((s, x, j) => s + x * dHat[j]!, 0);
      const orthogonal = unit(r.map((x, j) => x - along * dHat[j]!));
      return dHat.map((x, j) => c * x + Math.sqrt(1 - c * c) * orthogonal[j]!);
    };
    const flaggedAt: Record<string, number[]> = { flip: [], skewed: [], sybil: [] };
    for (let round = 1; round <= 8; round++) {
      for (const [device, c] of [
        ["flip", -0.15],
        ["skewed", -0.06],
        ["sybil", -0.6],
      ] as const) {
        const batch = [{ ...input(device, leaning(c, 10 * round + c)), id: `${device}:${round}` }];
        const judgement = trust.judge(batch, DIM, policy, new Map(), [1, 1, 1, 1, 1], 0);
        if (judgement.detections.some((x) => x.verdict.kind === "direction-outlier")) {
          flaggedAt[device]!.push(round);
        }
      }
    }
    expect(flaggedAt.flip).toEqual([5, 6, 7, 8]);
    expect(flaggedAt.sybil).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(flaggedAt.skewed).toEqual([]);
  });

  it("catches a Sybil whose twin was in an earlier batch on the same version, and compares nothing across versions", async () => {
    const trust = new ClusterTrust();
    const poison = seeded(40);
    const twin = (seed: number) => poison.map((x, j) => x + 0.001 * seeded(seed)[j]!);
    const judge = (batch: BatchInput[]) =>
      trust.judge(
        batch,
        DIM,
        policy,
        new Map(),
        batch.map(() => 1),
        0,
      );
    const at = (device: string, u: Float32Array, version: number, id: string) => ({
      ...input(device, u, version),
      id,
      norm: 1,
    });

    // Version 2: one Sybil alone with two honest devices; version 3: the other Sybil, and
    // the first one's update again — on a different version, which is not a twin.
    const first = judge([
      at("s1", twin(41), 2, "a"),
      at("h1", seeded(42), 2, "b"),
      at("h2", seeded(43), 2, "c"),
    ]);
    const second = judge([at("s2", twin(44), 2, "d"), at("h3", seeded(45), 2, "e")]);
    const other = judge([at("s3", twin(46), 3, "f"), at("h4", seeded(47), 3, "g")]);

    const near = (j: { detections: { device: string; verdict: { kind: string; reason: string } }[] }) =>
      j.detections.filter((d) => d.verdict.kind === "near-duplicate");
    expect(near(first)).toEqual([]);
    expect(near(second).map((d) => d.device)).toEqual(["s2"]);
    expect(near(second)[0]!.verdict.reason).toMatch(/device s1/);
    expect(near(other)).toEqual([]);
  });

  it("compares histories (FoolsGold) only from a device's fifth update: two honest first steps that agree are spared, a pair that keeps agreeing is not", async () => {
    const trust = new ClusterTrust();
    // a and b agree closely (cosine ≈ 0.94 per update: not near duplicates); c and d loosely.
    const [close, loose] = [seeded(60), seeded(90)];
    const near = (base: Float32Array, spread: number, seed: number) =>
      base.map((x, j) => x + spread * seeded(seed)[j]!);
    const similar = (version: number) =>
      trust
        .judge(
          [
            { ...input("a", near(close, 0.25, 61 + version), version), id: `a:${version}` },
            { ...input("b", near(close, 0.25, 71 + version), version), id: `b:${version}` },
            { ...input("c", near(loose, 0.6, 81 + version), version), id: `c:${version}` },
            { ...input("d", near(loose, 0.6, 91 + version), version), id: `d:${version}` },
          ],
          DIM,
          policy,
          new Map(),
          [1, 1, 1, 1],
          0,
        )
        .detections.filter((d) => d.verdict.kind === "similar-history")
        .map((d) => d.device);
    // Versions 1–4: too little history to tell a Sybil pair from two devices with alike data.
    for (const v of [1, 2, 3, 4]) expect(similar(v)).toEqual([]);
    // Version 5: five agreeing updates each; c and d agree less than a Sybil pair would.
    expect(similar(5).sort()).toEqual(["a", "b"]);
  });

  it("does not take a device with two updates in one batch for its own Sybil twin (FoolsGold compares each history once)", async () => {
    const trust = new ClusterTrust();
    // Three devices that share a direction but not their data (cosine ≈ 0.6 between any
    // two updates or histories); a's fifth and sixth updates land in one batch.
    const common = seeded(500);
    const update = (device: number, version: number) =>
      common.map((x, j) => x + 0.8 * seeded(600 + device)[j]! + 0.3 * seeded(1_000 * device + version)[j]!);
    const batch = (versions: Record<string, number[]>) =>
      Object.entries(versions).flatMap(([device, vs], d) =>
        vs.map((v) => ({ ...input(device, update(d, v), v), id: `${device}:${v}` })),
      );
    const judge = (inputs: BatchInput[]) =>
      trust
        .judge(
          inputs,
          DIM,
          policy,
          new Map(),
          inputs.map((i) => i.norm),
          0,
        )
        .detections.map((d) => `${d.device}: ${d.verdict.reason}`);
    for (const v of [1, 2, 3, 4]) expect(judge(batch({ a: [v], b: [v], c: [v] }))).toEqual([]);

    expect(judge(batch({ a: [5, 6], b: [5], c: [5] }))).toEqual([]);
  });

  it("weighs a passing update of a device detected before by the reputation it lost, though that reputation is still the base rate", async () => {
    // Prepare: three honest-looking updates (the drift plus disagreement) from "caught", with
    // 3 useful updates and 2 detections on record (κ·3 = η·2: T = a exactly), and from
    // "clean", with 3 useful updates and nothing against it.
    const d = seeded(1);
    const trust = new ClusterTrust();
    for (const v of [5, 6]) await trust.observeVersion(v, async (version) => d.map((x) => x * version));
    const [caught, clean, other] = [2, 3, 4].map((s) => d.map((x, j) => x + 0.5 * seeded(10 * s)[j]!));
    const inputs = [input("caught", caught!), input("clean", clean!), input("other", other!)];
    const reputations = new Map([
      ["caught", { positive: 3, negative: 2, updatedAt: 0 }],
      ["clean", { positive: 3, negative: 0, updatedAt: 0 }],
    ]);

    // Execute
    const judgement = trust.judge(
      inputs,
      DIM,
      policy,
      reputations,
      inputs.map((i) => i.norm),
      0,
    );

    // Assert: nothing flagged; after this useful update, caught has p = 4, n = 2: T = 2.6 / 4.8,
    // T⁺ = 2.6 / 3.6, factor (T − 0.3) / (T⁺ − 0.3) ≈ 0.572 (it was 1 from the base rate up).
    expect(judgement.detections).toEqual([]);
    expect(judgement.factors.get("caught:u")).toBeCloseTo((2.6 / 4.8 - 0.3) / (2.6 / 3.6 - 0.3), 12);
    expect(judgement.factors.get("clean:u")).toBe(1);
    expect(judgement.factors.get("other:u")).toBe(1);
  });

  it("flags a norm at 7× its cluster's recent median and spares one at 5× (the scenario's honest norms: 5.2×, once 6.7×)", () => {
    // Prepare: eight recent norms around 1 (median 1); updates along one direction with
    // disagreement, one scaled to 7× the median, one to 5×, two ordinary.
    const d = seeded(1);
    const along = (s: number, norm: number) => {
      const u = d.map((x, j) => x + 0.5 * seeded(10 * s)[j]!);
      const size = Math.hypot(...u);
      return u.map((x) => (x * norm) / size);
    };
    const recent = [0.8, 0.9, 0.95, 1, 1, 1.05, 1.1, 1.2];
    const inputs = [
      input("scaled", along(2, 7)),
      input("large", along(3, 5)),
      input("a", along(4, 1)),
      input("b", along(5, 0.9)),
    ];

    // Execute
    const judgement = new ClusterTrust().judge(inputs, DIM, policy, new Map(), recent, 0);

    // Assert
    const kinds = (device: string) =>
      judgement.detections.filter((x) => x.device === device).map((x) => x.verdict.kind);
    expect(kinds("scaled")).toEqual(["norm-outlier"]);
    expect(judgement.factors.get("scaled:u")).toBe(0);
    expect(kinds("large")).toEqual([]);
    expect(judgement.detections.map((x) => x.device)).toEqual(["scaled"]);
  });

  it("judges norms in a cluster's first batch, from three norms — the batch's own", () => {
    // Prepare: version 0, nothing sealed before: three updates, one of them ×10.
    const d = seeded(1);
    const inputs = [2, 3, 4].map((s, k) =>
      input(
        `d${k}`,
        d.map((x, j) => (k === 2 ? 10 : 1) * (x + 0.5 * seeded(10 * s)[j]!)),
        0,
      ),
    );

    // Execute
    const judgement = new ClusterTrust().judge(
      inputs,
      DIM,
      policy,
      new Map(),
      inputs.map((i) => i.norm),
      0,
    );

    // Assert
    expect(judgement.detections.map((x) => [x.device, x.verdict.kind])).toEqual([["d2", "norm-outlier"]]);
  });
});
