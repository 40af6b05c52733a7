import { describe, expect, it } from "vitest";
import { FedgeError } from "../errors";
import { formatPath, layoutHash, parseTaskConfig } from "./task-config";

const model = {
  parameters: 7,
  layout: [
    { name: "w", shape: [2, 3], offset: 0 },
    { name: "b", shape: [1], offset: 6 },
  ],
};

function problems(input: unknown): string {
  try {
    parseTaskConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(FedgeError);
    expect((err as FedgeError).code).toBe("invalid_config");
    return (err as FedgeError).message;
  }
  throw new Error("expected the config to be rejected");
}

describe("task configuration", () => {
  it("fills every default", () => {
    expect(parseTaskConfig({ model })).toEqual({
      model: { ...model, init: { kind: "zeros" } },
      optimizer: { kind: "fedavg", serverLearningRate: 1 },
      aggregation: { mode: "sync", robust: { kind: "mean" } },
      staleness: { weight: { kind: "inverse-sqrt" }, maxStaleness: 10 },
      round: { targetUpdates: 100, deadlineSeconds: 600, minUpdates: 1, overSelection: null },
      clusters: {
        targetSize: 10,
        inactiveAfterVersions: 1,
        reclusterSeconds: 600,
        fanIn: 32,
        directoryShards: 1,
      },
      trust: {
        detect: false,
        minMsPerExample: 0,
        reputationHalfLifeHours: 24,
        quarantineBelow: 0.3,
        quarantineMinutes: 60,
      },
      limits: {
        maxSampleWeight: 100_000,
        clipping: { kind: "adaptive", multiplier: 4, window: 50, minHistory: 5 },
      },
      devices: { minBatteryLevel: 0.2 },
      compression: {
        density: 1,
        bits: 32,
        schedule: { kind: "fixed" },
        quality: { kind: "off" },
        controller: { kind: "off" },
      },
      placement: { coordinatorRegion: "enam" },
      privacy: { dp: { kind: "off" }, secureAggregation: { kind: "off" } },
      retention: { receiptsHours: 168, telemetryHours: 720 },
    });
  });

  it("takes distributed DP only with secure aggregation, and central DP only without it", () => {
    const secure = { kind: "secagg", clipNorm: 1 };
    const distributed = { kind: "distributed", noiseMultiplier: 1 };
    expect(
      parseTaskConfig({ model, privacy: { dp: distributed, secureAggregation: secure } }).privacy.dp,
    ).toEqual({
      ...distributed,
      samplingRate: 1,
      delta: 1e-5,
    });
    expect(problems({ model, privacy: { dp: distributed } })).toMatch(
      /^privacy\.dp\.kind: distributed DP needs privacy\.secureAggregation/,
    );
    expect(
      problems({
        model,
        privacy: { dp: { kind: "central", clipNorm: 1, noiseMultiplier: 1 }, secureAggregation: secure },
      }),
    ).toMatch(
      /^privacy\.dp\.kind: privacy\.secureAggregation hides individual updates: the devices must add the noise/,
    );
  });

  it("fills central DP's defaults (no amplification by sampling, δ = 1e-5) and names what it cannot work with", () => {
    const dp = { kind: "central", clipNorm: 1, noiseMultiplier: 1 };
    expect(parseTaskConfig({ model, privacy: { dp } }).privacy.dp).toEqual({
      ...dp,
      samplingRate: 1,
      delta: 1e-5,
    });
    expect(problems({ model, privacy: { dp: { ...dp, clipNorm: 0 } } })).toMatch(/^privacy\.dp\.clipNorm: /);
    expect(problems({ model, privacy: { dp: { ...dp, samplingRate: 0 } } })).toMatch(
      /privacy\.dp\.samplingRate: /,
    );
    expect(
      problems({ model, privacy: { dp }, aggregation: { mode: "sync", robust: { kind: "median" } } }),
    ).toBe(
      "aggregation.robust: privacy.dp needs the mean: median depends on every update of a batch, so one device's influence is not bounded by clipNorm",
    );
    expect(problems({ model, privacy: { dp }, trust: { detect: true } })).toMatch(
      /^trust\.detect: privacy\.dp needs detect off/,
    );
  });

  it("names the limits that are out of range: a zero maximum weight, a clip bound ≤ 0, minHistory above window", () => {
    const message = problems({
      model,
      limits: {
        maxSampleWeight: 0,
        clipping: { kind: "adaptive", window: 3, minHistory: 4 },
      },
    });
    expect(message).toMatch(/limits\.maxSampleWeight/);
    expect(message).toMatch(/limits\.clipping\.minHistory: minHistory must be <= window/);
    expect(problems({ model, limits: { clipping: { kind: "fixed", maxNorm: 0 } } })).toMatch(
      /limits\.clipping\.maxNorm/,
    );
  });

  it("accepts tensors listed out of offset order", () => {
    expect(() => parseTaskConfig({ model: { ...model, layout: [...model.layout].reverse() } })).not.toThrow();
  });

  it("names the offset of a tensor that leaves a gap or overlaps", () => {
    const gap = { ...model, layout: [model.layout[0], { name: "b", shape: [1], offset: 7 }] };
    expect(problems({ model: gap })).toMatch(/model\.layout\[1\]\.offset: offset 7 leaves a gap/);
    const overlap = { ...model, layout: [model.layout[0], { name: "b", shape: [1], offset: 5 }] };
    expect(problems({ model: overlap })).toMatch(/model\.layout\[1\]\.offset: offset 5 overlaps/);
  });

  it("rejects unknown fields and optimizers, naming them", () => {
    expect(problems({ model, extra: 1 })).toMatch(/extra/);
    expect(problems({ model, optimizer: { kind: "sgd" } })).toMatch(/optimizer\.kind/);
  });

  it("fills the adaptive optimizers' defaults from Reddi et al. 2021", () => {
    expect(parseTaskConfig({ model, optimizer: { kind: "fedyogi" } }).optimizer).toEqual({
      kind: "fedyogi",
      serverLearningRate: 0.01,
      beta1: 0.9,
      beta2: 0.99,
      tau: 1e-3,
      biasCorrection: true,
    });
  });

  it("names out-of-range hyper-parameters", () => {
    const message = problems({ model, optimizer: { kind: "fedadam", beta1: 1, tau: 0 } });
    expect(message).toMatch(/optimizer\.beta1/);
    expect(message).toMatch(/optimizer\.tau/);
    expect(problems({ model, aggregation: { mode: "async", bufferSize: 0 } })).toMatch(
      /aggregation\.bufferSize/,
    );
    expect(problems({ model, staleness: { weight: { kind: "polynomial" } } })).toMatch(
      /staleness\.weight\.exponent/,
    );
  });

  it("requires minUpdates <= targetUpdates", () => {
    expect(problems({ model, round: { targetUpdates: 2, minUpdates: 3 } })).toMatch(/round\.minUpdates/);
  });

  it("formats paths as a JavaScript accessor would", () => {
    expect(formatPath(["model", "layout", 2, "offset"])).toBe("model.layout[2].offset");
    expect(formatPath([])).toBe("(root)");
  });
});

describe("layout hash", () => {
  it("depends on names, shapes and offsets but not on listing order", async () => {
    const h = await layoutHash(model.layout);
    expect(await layoutHash([...model.layout].reverse())).toBe(h);
    expect(await layoutHash([{ ...model.layout[0]!, name: "W" }, model.layout[1]!])).not.toBe(h);
    expect(await layoutHash([{ ...model.layout[0]!, shape: [3, 2] }, model.layout[1]!])).not.toBe(h);
  });

  it("is the first 4 bytes of SHA-256 over the canonical JSON, as hex in byte order", async () => {
    const canonical = '[["w",[2,3],0],["b",[1],6]]';
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
    const hex = Array.from(digest.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
    expect(await layoutHash(model.layout)).toBe(hex);
  });
});
