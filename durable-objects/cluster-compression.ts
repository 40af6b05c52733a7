/**
 * The adaptive compression controller at a cluster (task config `compression.controller`;
 * the bandit itself is shared/codecs/controller.ts). The cluster keeps, in its SQLite:
 *
 * - the bandit's state, one linear model per level, shared by the cluster's members (a
 *   device is not asked often enough to learn alone; what it has of its own is its context:
 *   link, battery, refusals), so the learned policy survives eviction;
 * - one pull per device and version: the level it was assigned, its context then, and, as
 *   they become known, the bytes it uploaded (at the upload) and the update's usefulness
 *   (when its batch is sealed: the cosine with the rest of the batch).
 *
 * A pull is settled at the device's next check-in, where it reports the residual-norm
 * ratio of that update and its link: the learned part of the reward goes into the model.
 * A pull whose update never came is dropped (the refusals the device reports are context).
 */
import {
  type ControllerPolicy,
  type ControllerState,
  choose,
  estimate,
  features,
  initialState,
  type Level,
  type LinkContext,
  learn,
  nextPrice,
  predictedBytes,
  rewardOf,
  stateFits,
  uploadSeconds,
} from "../shared/codecs/controller";
import { decodePayload } from "../shared/codecs/decoder";
import type { Meta } from "./storage/meta";

/** What a check-in reports that the controller uses. */
export interface CompressionReport {
  uplinkBytesPerSecond?: number | undefined;
  rttMs?: number | undefined;
  battery?: { level: number; charging: boolean } | undefined;
  residualRatio?: number | undefined;
  refusedUploads?: number | undefined;
}

export interface SealedInput {
  device: string;
  version: number;
  codec: number;
  payload: Uint8Array;
  /** The input's factor in the batch's sum. */
  scale: number;
}

export interface ControllerView {
  levels: { density: number; bits: number; pulls: number; learned: number }[];
  pending: number;
  /** The byte budget's price λ (0 without one). */
  price: number;
}

const META_KEY = "compressionController";

export class ClusterCompression {
  readonly #sql: SqlStorage;
  readonly #meta: Meta;
  #state: ControllerState | null = null;

  constructor(sql: SqlStorage, meta: Meta) {
    this.#sql = sql;
    this.#meta = meta;
    sql.exec(`CREATE TABLE IF NOT EXISTS compression_pulls (
      device TEXT NOT NULL, version INTEGER NOT NULL, arm INTEGER NOT NULL, context TEXT NOT NULL,
      bytes INTEGER, usefulness REAL, PRIMARY KEY (device, version))`);
  }

  #load(policy: ControllerPolicy, dim: number): ControllerState {
    if (this.#state && stateFits(this.#state, policy, dim)) return this.#state;
    const stored = this.#meta.get<ControllerState>(META_KEY);
    this.#state = stored && stateFits(stored, policy, dim) ? stored : initialState(policy, dim);
    return this.#state;
  }

  /**
   * At a check-in that assigns `version` (inside its transaction): settles the device's
   * earlier pulls, then picks its level. Without a measured link the device gets `fallback`.
   * The level's density is multiplied by quality-aware compression's `shift` (never past dense).
   */
  assign(
    policy: ControllerPolicy,
    dim: number,
    device: string,
    version: number,
    report: CompressionReport,
    fallback: Level,
    shift: number,
  ): Level {
    const state = this.#load(policy, dim);
    const link = linkOf(report);
    this.#settle(policy, state, device, report);
    if (!link) return this.#charge(policy, dim, state, fallback);
    const { arm, level } = choose(state, policy, dim, link);
    this.#sql.exec(
      "INSERT OR REPLACE INTO compression_pulls (device, version, arm, context) VALUES (?, ?, ?, ?)",
      device,
      version,
      arm,
      JSON.stringify(features(link)),
    );
    return this.#charge(policy, dim, state, {
      density: Math.min(1, level.density * shift),
      bits: level.bits,
    });
  }

  /** With a byte budget, every level assigned — the cold-start one too — moves the price by its predicted bytes. */
  #charge(policy: ControllerPolicy, dim: number, state: ControllerState, level: Level): Level {
    if (policy.byteBudget) {
      state.price = nextPrice(policy, dim, state.price ?? 0, predictedBytes(level, dim));
      this.#meta.set(META_KEY, state);
    }
    return level;
  }

  #settle(policy: ControllerPolicy, state: ControllerState, device: string, report: CompressionReport): void {
    const pulls = this.#sql
      .exec<{
        version: number;
        arm: number;
        context: string;
        bytes: number | null;
        usefulness: number | null;
      }>(
        "SELECT version, arm, context, bytes, usefulness FROM compression_pulls WHERE device = ? ORDER BY version",
        device,
      )
      .toArray();
    if (pulls.length === 0) return;
    // The residual ratio describes the device's last update: only the newest judged pull earns it.
    const judged = pulls.filter((p) => p.bytes !== null && p.usefulness !== null).at(-1);
    if (judged && report.residualRatio !== undefined && state.arms[judged.arm]) {
      const link = linkOf(report);
      const { learned } = rewardOf(policy, {
        uploadSeconds: link ? uploadSeconds(judged.bytes ?? 0, link) : 0,
        residualRatio: report.residualRatio,
        usefulness: judged.usefulness ?? 0,
      });
      learn(state, judged.arm, JSON.parse(judged.context) as number[], learned);
      this.#meta.set(META_KEY, state);
    }
    // Settled or never uploaded: either way done. A pull still waiting for its batch stays.
    this.#sql.exec(
      "DELETE FROM compression_pulls WHERE device = ? AND (usefulness IS NOT NULL OR bytes IS NULL)",
      device,
    );
  }

  /** At an accepted upload (inside its transaction). */
  uploaded(device: string, version: number, bytes: number): void {
    this.#sql.exec(
      "UPDATE compression_pulls SET bytes = ? WHERE device = ? AND version = ?",
      bytes,
      device,
      version,
    );
  }

  /**
   * When a batch is sealed: each pulled update's usefulness, the cosine of the update with
   * the sum of the batch's other updates (leave-one-out, so a lone update is not judged by
   * itself: it gets 0).
   */
  judge(inputs: readonly SealedInput[], dim: number): void {
    const pulled = inputs.filter(
      (input) =>
        this.#sql
          .exec<{ n: number }>(
            "SELECT COUNT(*) AS n FROM compression_pulls WHERE device = ? AND version = ?",
            input.device,
            input.version,
          )
          .one().n > 0,
    );
    if (pulled.length === 0) return;
    // Two passes over the payloads, one decoded at a time: the batch's sum, then each pulled
    // update against the sum less itself (memory: the sum and one update, whatever the batch).
    const sum = new Float64Array(dim);
    for (const input of inputs) each(input, dim, (i, v) => (sum[i] = (sum[i] as number) + input.scale * v));
    let sumSquared = 0;
    for (let i = 0; i < dim; i++) sumSquared += (sum[i] as number) ** 2;
    for (const input of pulled) {
      let withSum = 0;
      let squared = 0;
      each(input, dim, (i, v) => {
        withSum += v * (sum[i] as number);
        squared += v * v;
      });
      const s = input.scale;
      // ‖S − s·v‖² and ⟨v, S − s·v⟩ from ‖S‖², ⟨v, S⟩ and ‖v‖².
      const othersSquared = sumSquared - 2 * s * withSum + s * s * squared;
      const alone = othersSquared <= 1e-12 * sumSquared || squared === 0;
      this.#sql.exec(
        "UPDATE compression_pulls SET usefulness = ? WHERE device = ? AND version = ?",
        alone ? 0 : (withSum - s * squared) / Math.sqrt(squared * othersSquared),
        input.device,
        input.version,
      );
    }
  }

  /** For the admin: per level, how often it was learned from and the learned part's estimate at a neutral context. */
  view(policy: ControllerPolicy, dim: number): ControllerView {
    const state = this.#load(policy, dim);
    const x = features({ uplinkBytesPerSecond: 625_000, rttMs: 100, battery: 1, refused: 0 });
    return {
      levels: state.levels.map((level, arm) => {
        const a = state.arms[arm];
        return { ...level, pulls: a?.pulls ?? 0, learned: a ? estimate(a, x) : 0 };
      }),
      pending: this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM compression_pulls").one().n,
      price: state.price ?? 0,
    };
  }
}

function linkOf(report: CompressionReport): LinkContext | null {
  if (report.uplinkBytesPerSecond === undefined) return null;
  return {
    uplinkBytesPerSecond: report.uplinkBytesPerSecond,
    rttMs: report.rttMs ?? 0,
    battery: !report.battery || report.battery.charging ? 1 : report.battery.level,
    refused: report.refusedUploads ?? 0,
  };
}

/** Calls `f(index, value)` for each value the payload holds. */
function each(input: SealedInput, dim: number, f: (index: number, value: number) => void): void {
  const { indices, values } = decodePayload(input.codec, input.payload, dim);
  for (let j = 0; j < values.length; j++) f(indices ? (indices[j] as number) : j, values[j] as number);
}
