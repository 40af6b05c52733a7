/**
 * Who is who in the adversarial fleet, in registration order. Clusters fill in that order
 * (durable-objects/directory.ts), so the order decides what each cluster's detectors see:
 * the roster spreads the adversaries evenly, every cluster mixing honest devices with
 * them, and keeps Sybils together `sybilsPerCluster` at a time (an attacker registers its
 * devices in bursts; a Sybil alone in its cluster has no twin there to be compared with).
 */
import { ATTACK_KINDS, type AttackKind } from "./attacks";

export type Role = "honest" | AttackKind;

export interface RosterOptions {
  devices: number;
  /** The task's clusters.targetSize. */
  clusterSize: number;
  /** Share of adversarial devices, in [0, 1). */
  adversarial: number;
  /** Size of the Sybil group; capped at half the adversaries. */
  sybils: number;
  /** Sybils registered together, so landing in one cluster. */
  sybilsPerCluster: number;
}

/** Roles in registration order. */
export function roster(o: RosterOptions): Role[] {
  const adversaries = Math.round(o.adversarial * o.devices);
  const sybils = Math.min(o.sybils, Math.ceil(adversaries / 2));
  const others = ATTACK_KINDS.filter((k) => k !== "sybil");
  // The other kinds in equal shares, a kind's devices next to each other so that the
  // round-robin below sends them to different clusters.
  const singles = Array.from({ length: adversaries - sybils }, (_, i) => others[i % others.length]!).sort(
    (a, b) => others.indexOf(a) - others.indexOf(b),
  );
  const units: AttackKind[][] = [];
  for (let s = 0; s < sybils; s += o.sybilsPerCluster) {
    units.push(Array.from({ length: Math.min(o.sybilsPerCluster, sybils - s) }, () => "sybil" as const));
  }
  for (const kind of singles) units.push([kind]);

  const clusters = Array.from({ length: Math.ceil(o.devices / o.clusterSize) }, (_, c) => ({
    size: Math.min(o.clusterSize, o.devices - c * o.clusterSize),
    attackers: [] as AttackKind[],
  }));
  for (const unit of units) {
    // The cluster with the fewest adversaries that keeps an honest majority (the lowest index on a tie).
    const fits = clusters.filter((c) => 2 * (c.attackers.length + unit.length) < c.size);
    const target = (fits.length > 0 ? fits : clusters).reduce((best, c) =>
      c.attackers.length < best.attackers.length ? c : best,
    );
    target.attackers.push(...unit);
  }
  return clusters.flatMap(({ size, attackers }) => {
    const roles: Role[] = Array.from({ length: size }, () => "honest");
    // Evenly spaced inside the cluster.
    attackers.forEach((kind, j) => {
      roles[Math.floor(((j + 0.5) * size) / attackers.length)] = kind;
    });
    return roles;
  });
}
