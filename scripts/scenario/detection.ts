/**
 * What the defences found, as the operator sees it: every cluster's member view
 * (`GET /v1/admin/tasks/:task/clusters/:region/:index`), matched by device id against the
 * roster the scenario knows and the service does not.
 */
import type { Registration } from "../../sdk/core/api-types";
import type { LocalService } from "../local-service";
import { ATTACK_KINDS, type AttackKind } from "./attacks";
import type { Role } from "./roster";

/** The fields of a member view the scenario reads. */
export interface MemberView {
  device: string;
  detections: number;
  lastDetection: string | null;
  reputation: number | null;
  quarantinedUntil: string | null;
}

export interface Detection {
  /** Adversaries detected at least once ÷ adversaries. */
  recall: number;
  /**
   * Adversaries detected ÷ adversaries with at least one update judged (a reputation in
   * their member view): a device whose uploads never reached a sealed batch — offline, or
   * its link too slow — gave the detectors nothing to judge.
   */
  recallOfJudged: number;
  /** Honest devices detected at least once ÷ honest devices. */
  falsePositiveRate: number;
  byKind: Record<AttackKind, { devices: number; judged: number; detected: number }>;
  /**
   * Per attack kind (and "honest"), how many devices each detector flagged in their last
   * detection (the member view keeps only the last one's reasons).
   */
  lastFlaggedBy: Partial<Record<Role, Record<string, number>>>;
  /** Devices quarantined when the run ended. */
  quarantined: number;
  quarantinedHonest: number;
  /** Why each falsely accused honest device was flagged last (its view's lastDetection). */
  falsePositives: { device: string; detections: number; lastDetection: string | null }[];
  /** Mean reputation of the members with one, by role. */
  meanReputation: { honest: number | null; adversarial: number | null };
}

/** What the task's status says about trust: detections by kind, quarantines, and cluster batches. */
export interface TrustStatus {
  gaming: Record<string, number>;
  quarantines: number;
  /** Batches the clusters sealed, and their mean number of updates. */
  clusterBatches: { batches: number; meanUpdates: number | null } | null;
}

/** Every member of every cluster of `task`, and the task's status, from the admin API. */
export async function readTrust(
  service: LocalService,
  task: string,
): Promise<{ members: MemberView[]; status: TrustStatus }> {
  const headers = { Authorization: `Bearer ${service.adminToken}` };
  const get = async <T>(path: string): Promise<T> => {
    const res = await service.fetch(path, { headers });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const status = await get<{
    gaming: Record<string, number>;
    quarantines: number;
    flushes: Record<string, { batches: number; meanUpdates: number | null }>;
    tree: { regions: Record<string, { clusters: number }> };
  }>(`/v1/tasks/${task}/status`);
  const views = await Promise.all(
    Object.entries(status.tree.regions).flatMap(([region, shape]) =>
      Array.from({ length: shape.clusters }, (_, index) =>
        get<{ members: MemberView[] }>(`/v1/admin/tasks/${task}/clusters/${region}/${index}`),
      ),
    ),
  );
  return {
    members: views.flatMap((v) => v.members),
    status: {
      gaming: status.gaming,
      quarantines: status.quarantines,
      clusterBatches: status.flushes.cluster ?? null,
    },
  };
}

/** The figures, with `roles[i]` the role of the device registered i-th. */
export function summarize(
  roles: readonly Role[],
  registrations: readonly Pick<Registration, "deviceId">[],
  members: readonly MemberView[],
): Detection {
  const byDevice = new Map(members.map((m) => [m.device, m]));
  const byKind = Object.fromEntries(
    ATTACK_KINDS.map((k) => [k, { devices: 0, judged: 0, detected: 0 }]),
  ) as Detection["byKind"];
  let honest = 0;
  let adversaries = 0;
  let caught = 0;
  let judged = 0;
  let quarantined = 0;
  let quarantinedHonest = 0;
  const reputations = { honest: [] as number[], adversarial: [] as number[] };
  const falsePositives: Detection["falsePositives"] = [];
  const lastFlaggedBy: Detection["lastFlaggedBy"] = {};
  registrations.forEach(({ deviceId }, i) => {
    const role = roles[i];
    if (role === undefined) throw new Error(`no role for device ${i} (${deviceId})`);
    const view = byDevice.get(deviceId);
    const detected = (view?.detections ?? 0) > 0;
    if (view?.quarantinedUntil) {
      quarantined += 1;
      if (role === "honest") quarantinedHonest += 1;
    }
    for (const detector of detectorsIn(view?.lastDetection ?? null)) {
      const counts = lastFlaggedBy[role] ?? {};
      counts[detector] = (counts[detector] ?? 0) + 1;
      lastFlaggedBy[role] = counts;
    }
    if (view?.reputation != null)
      reputations[role === "honest" ? "honest" : "adversarial"].push(view.reputation);
    if (role === "honest") {
      honest += 1;
      if (detected && view) {
        falsePositives.push({
          device: deviceId,
          detections: view.detections,
          lastDetection: view.lastDetection,
        });
      }
      return;
    }
    adversaries += 1;
    byKind[role].devices += 1;
    if (view?.reputation != null) {
      judged += 1;
      byKind[role].judged += 1;
    }
    if (detected) {
      caught += 1;
      byKind[role].detected += 1;
    }
  });
  const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    recall: adversaries > 0 ? caught / adversaries : 1,
    recallOfJudged: judged > 0 ? caught / judged : 1,
    falsePositiveRate: honest > 0 ? falsePositives.length / honest : 0,
    byKind,
    lastFlaggedBy,
    quarantined,
    quarantinedHonest,
    falsePositives,
    meanReputation: { honest: mean(reputations.honest), adversarial: mean(reputations.adversarial) },
  };
}

/** The detector kinds named in a member view's lastDetection ("kind: reason; kind: reason"). */
export function detectorsIn(lastDetection: string | null): string[] {
  if (!lastDetection) return [];
  const kinds = [...lastDetection.matchAll(/(?:^|; )([a-z]+(?:-[a-z]+)*): /g)].map((m) => m[1]!);
  return [...new Set(kinds)];
}
