/**
 * Replays and Sybils. An exact duplicate is a payload whose hash another device sent, or
 * that the same device sent for an earlier version (a replay). A near duplicate is an
 * update whose cosine with another device's update exceeds a threshold: independent
 * devices training on their own data do not agree to 0.99, while a Sybil group sending
 * one poisoned update with small perturbations does (the observation FoolsGold builds
 * on, Fung, Yoon & Beschastnikh, RAID 2020, §3).
 */
import { cosine } from "./vectors";
import { fmt, type Verdict } from "./verdict";

export interface Upload {
  deviceId: string;
  /** A digest of the payload, e.g. hex SHA-256. */
  hash: string;
  version: number;
}

/**
 * Judges `upload` against recent uploads. The same device sending the same payload for
 * the same version is a retry, not a duplicate. Score: how many recent uploads match.
 */
export function exactDuplicate(upload: Upload, recent: readonly Upload[]): Verdict {
  const matches = recent.filter(
    (r) => r.hash === upload.hash && !(r.deviceId === upload.deviceId && r.version === upload.version),
  );
  if (matches.length === 0) {
    return { kind: "exact-duplicate", suspicious: false, score: 0, reason: "payload not seen before" };
  }
  const others = [...new Set(matches.filter((r) => r.deviceId !== upload.deviceId).map((r) => r.deviceId))];
  const replayed = matches.filter((r) => r.deviceId === upload.deviceId).map((r) => r.version);
  const parts: string[] = [];
  if (others.length > 0)
    parts.push(`same payload as device${others.length > 1 ? "s" : ""} ${others.join(", ")}`);
  if (replayed.length > 0) parts.push(`replays its own upload for version ${replayed.join(", ")}`);
  return { kind: "exact-duplicate", suspicious: true, score: matches.length, reason: parts.join("; ") };
}

export interface DeviceUpdate {
  deviceId: string;
  update: Float32Array;
}

export interface NearDuplicateOptions {
  /** Suspicious above this cosine with another device's update. */
  maxCosine?: number;
}

/**
 * Judges an update against other devices' updates (entries from the same device are
 * skipped: a device's successive updates may legitimately agree). Score: the highest
 * cosine with another device's update.
 */
export function nearDuplicate(
  candidate: DeviceUpdate,
  others: readonly DeviceUpdate[],
  options: NearDuplicateOptions = {},
): Verdict {
  const maxCosine = options.maxCosine ?? 0.99;
  let score = Number.NEGATIVE_INFINITY;
  const twins: string[] = [];
  for (const other of others) {
    if (other.deviceId === candidate.deviceId) continue;
    const c = cosine(candidate.update, other.update);
    score = Math.max(score, c);
    if (c > maxCosine) twins.push(other.deviceId);
  }
  if (score === Number.NEGATIVE_INFINITY) {
    return {
      kind: "near-duplicate",
      suspicious: false,
      score: 0,
      reason: "no other device's update to compare",
    };
  }
  return {
    kind: "near-duplicate",
    suspicious: twins.length > 0,
    score,
    reason:
      twins.length > 0
        ? `cosine above ${maxCosine} with device${twins.length > 1 ? "s" : ""} ${twins.join(", ")} (highest ${fmt(score)})`
        : `highest cosine with another device's update is ${fmt(score)} (threshold ${maxCosine})`,
  };
}

/**
 * Groups of two or more devices linked by chains of near-duplicate updates (connected
 * components of the graph with an edge wherever cosine > maxCosine), in input order.
 */
export function nearDuplicateGroups(
  updates: readonly DeviceUpdate[],
  options: NearDuplicateOptions = {},
): string[][] {
  const maxCosine = options.maxCosine ?? 0.99;
  const parent = updates.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let i = 0; i < updates.length; i++) {
    for (let j = i + 1; j < updates.length; j++) {
      if (updates[i]!.deviceId === updates[j]!.deviceId) continue;
      if (cosine(updates[i]!.update, updates[j]!.update) > maxCosine) {
        const a = root(i);
        const b = root(j);
        parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const groups = new Map<number, Set<string>>();
  updates.forEach((u, i) => {
    const r = root(i);
    groups.set(r, (groups.get(r) ?? new Set()).add(u.deviceId));
  });
  return [...groups.values()].filter((g) => g.size > 1).map((g) => [...g]);
}
