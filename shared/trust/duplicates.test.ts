import { describe, expect, it } from "vitest";
import { mulberry32 } from "../model-init";
import { exactDuplicate, nearDuplicate, nearDuplicateGroups } from "./duplicates";

describe("exactDuplicate", () => {
  const recent = [
    { deviceId: "a", hash: "h1", version: 3 },
    { deviceId: "b", hash: "h2", version: 3 },
    { deviceId: "c", hash: "h3", version: 4 },
  ];

  it("flags a payload another device already sent (true positive)", () => {
    const v = exactDuplicate({ deviceId: "d", hash: "h2", version: 4 }, recent);
    expect(v).toEqual({
      kind: "exact-duplicate",
      suspicious: true,
      score: 1,
      reason: "same payload as device b",
    });
  });

  it("flags a device replaying its own upload for an earlier version", () => {
    const v = exactDuplicate({ deviceId: "c", hash: "h3", version: 5 }, recent);
    expect(v).toMatchObject({ suspicious: true, reason: "replays its own upload for version 4" });
  });

  it("passes a fresh payload and a retry of the same upload for the same version (true negatives)", () => {
    expect(exactDuplicate({ deviceId: "a", hash: "h9", version: 4 }, recent).suspicious).toBe(false);
    expect(exactDuplicate({ deviceId: "a", hash: "h1", version: 3 }, recent).suspicious).toBe(false);
  });
});

function randomUpdate(seed: number, dim = 64): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: dim }, () => 2 * random() - 1);
}

function perturbed(base: Float32Array, seed: number, scale: number): Float32Array {
  const random = mulberry32(seed);
  return base.map((x) => x + scale * (2 * random() - 1));
}

describe("nearDuplicate", () => {
  const poison = randomUpdate(1);
  const honest = [2, 3, 4, 5].map((s, i) => ({ deviceId: `h${i}`, update: randomUpdate(s) }));

  it("flags a Sybil whose update is another device's with a small perturbation (true positive)", () => {
    const v = nearDuplicate({ deviceId: "s1", update: perturbed(poison, 10, 0.01) }, [
      ...honest,
      { deviceId: "s0", update: poison },
    ]);
    expect(v).toMatchObject({ kind: "near-duplicate", suspicious: true });
    expect(v.score).toBeGreaterThan(0.99);
    expect(v.reason).toMatch(/^cosine above 0.99 with device s0 /);
  });

  it("passes an honest update among independent ones (true negative)", () => {
    const v = nearDuplicate(honest[0]!, honest);
    expect(v.suspicious).toBe(false);
    expect(v.score).toBeLessThan(0.5);
  });

  it("skips the same device's earlier updates", () => {
    expect(nearDuplicate({ deviceId: "h0", update: honest[0]!.update }, [honest[0]!]).suspicious).toBe(false);
  });
});

describe("nearDuplicateGroups", () => {
  it("finds a Sybil group of near-identical updates and leaves independent devices out", () => {
    const poison = randomUpdate(1);
    const sybils = [0, 1, 2, 3].map((i) => ({ deviceId: `s${i}`, update: perturbed(poison, 20 + i, 0.01) }));
    const honest = [2, 3, 4].map((s, i) => ({ deviceId: `h${i}`, update: randomUpdate(s) }));
    expect(
      nearDuplicateGroups([
        honest[0]!,
        sybils[0]!,
        honest[1]!,
        sybils[1]!,
        sybils[2]!,
        honest[2]!,
        sybils[3]!,
      ]),
    ).toEqual([["s0", "s1", "s2", "s3"]]);
    expect(nearDuplicateGroups(honest)).toEqual([]);
  });
});
