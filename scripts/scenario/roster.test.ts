import { describe, expect, it } from "vitest";
import { ATTACK_KINDS } from "./attacks";
import { type Role, roster } from "./roster";

const clustersOf = (roles: Role[], size: number) =>
  Array.from({ length: Math.ceil(roles.length / size) }, (_, c) => roles.slice(c * size, (c + 1) * size));

describe("roster", () => {
  it("makes a fifth of 100 devices adversarial: a Sybil group of 10 and two of every other kind", () => {
    const roles = roster({
      devices: 100,
      clusterSize: 10,
      adversarial: 0.2,
      sybils: 10,
      sybilsPerCluster: 2,
    });

    expect(roles).toHaveLength(100);
    const count = (r: Role) => roles.filter((x) => x === r).length;
    expect(count("honest")).toBe(80);
    expect(count("sybil")).toBe(10);
    for (const kind of ATTACK_KINDS.filter((k) => k !== "sybil")) expect(count(kind)).toBe(2);
  });

  it("gives every cluster honest devices and two adversaries, Sybils in pairs, other kinds apart", () => {
    const roles = roster({
      devices: 100,
      clusterSize: 10,
      adversarial: 0.2,
      sybils: 10,
      sybilsPerCluster: 2,
    });

    for (const cluster of clustersOf(roles, 10)) {
      const adversaries = cluster.filter((r) => r !== "honest");
      expect(adversaries).toHaveLength(2);
      const sybils = adversaries.filter((r) => r === "sybil").length;
      expect([0, 2]).toContain(sybils);
      if (sybils === 0) expect(new Set(adversaries).size).toBe(2);
    }
  });

  it("keeps an honest majority in each cluster when the group is registered all at once", () => {
    const roles = roster({
      devices: 100,
      clusterSize: 10,
      adversarial: 0.2,
      sybils: 10,
      sybilsPerCluster: 4,
    });

    for (const cluster of clustersOf(roles, 10)) {
      expect(cluster.filter((r) => r === "honest").length).toBeGreaterThan(5);
    }
  });

  it("caps the Sybil group at half the adversaries of a small fleet", () => {
    const roles = roster({ devices: 50, clusterSize: 10, adversarial: 0.2, sybils: 10, sybilsPerCluster: 2 });

    expect(roles.filter((r) => r === "sybil")).toHaveLength(5);
    expect(roles.filter((r) => r !== "honest")).toHaveLength(10);
  });

  it("is all honest without adversaries", () => {
    expect(
      roster({ devices: 30, clusterSize: 10, adversarial: 0, sybils: 10, sybilsPerCluster: 2 }).every(
        (r) => r === "honest",
      ),
    ).toBe(true);
  });
});
