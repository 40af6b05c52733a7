import { describe, expect, it } from "vitest";
import { clusterQuota, MIN_SHARE, nextSelectionShare } from "./over-selection";

const policy = { overSelection: 1.3, targetUpdates: 100 };

describe("over-selection", () => {
  it("scales the share by wanted ÷ received: 260 updates for 130 wanted halves it, 65 doubles it", () => {
    expect(nextSelectionShare(0.5, policy, 260)).toBeCloseTo(0.25, 12);
    expect(nextSelectionShare(0.25, policy, 65)).toBeCloseTo(0.5, 12);
    expect(nextSelectionShare(0.4, policy, 130)).toBeCloseTo(0.4, 12);
  });

  it("stays within [MIN_SHARE, 1], and a round that received nothing opens fully", () => {
    expect(nextSelectionShare(1, policy, 1_000_000)).toBe(MIN_SHARE);
    expect(nextSelectionShare(0.9, policy, 0)).toBe(1);
  });

  it("lets at least one member of a cluster train, and ⌈share × members⌉ in all", () => {
    expect(clusterQuota(0.02, 10)).toBe(1);
    expect(clusterQuota(0.35, 10)).toBe(4);
    expect(clusterQuota(1, 10)).toBe(10);
  });
});
