/**
 * The adversaries of `npm run scenario:adversarial`: SDK trainers (LocalTrainer) that
 * return an attack instead of, or built from, the device's honest update Δ. Each claims
 * its shard's real example count, so the attacks act through their direction and norm,
 * never through an inflated sample weight.
 */
import type { LocalTrainer, TrainOptions, TrainResult } from "../../sdk/core/trainer";
import type { Example } from "../../sdk/spam/features";
import type { SpamModel } from "../../sdk/spam/model";
import type { Random } from "../../sdk/spam/random";
import { spamTrainer, type Trainer } from "../../sdk/spam/trainer";

export const ATTACK_KINDS = [
  "sign-flip",
  "scaled",
  "noise",
  "free-rider-zero",
  "free-rider-replay",
  "sybil",
] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

/** The boost of the scaled attack (Bhagoji et al., "Analyzing Federated Learning through an Adversarial Lens", ICML 2019, §3: explicit boosting). */
export const SCALE = 10;

/** Each Sybil's perturbation, as a fraction of the poisoned update's norm: cosines between Sybils stay above 0.999. */
const SYBIL_NOISE = 0.01;

/** Standard normal draws (Box–Muller; 1 − u keeps the logarithm finite). */
function gaussian(length: number, random: Random): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

function norm(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

/** The same training result with its update mapped. */
function mapped(result: TrainResult, f: (update: Float32Array) => Float32Array): TrainResult {
  return { ...result, update: f(result.update) };
}

/**
 * One poisoned direction shared by a Sybil group (Fung et al., RAID 2020, §2: Sybils pursue
 * one objective): per global model, the update of training on the group's pooled shards
 * with every label flipped, computed once and handed to each member.
 */
export class SybilGroup {
  readonly #poisoner: Trainer;
  readonly #calibration: Trainer;
  #cached: { key: string; update: Float32Array } | undefined;

  /**
   * `pooled`: the group's training examples; `typical`: one member's, whose honest update
   * sets the poisoned update's norm (the group hides from norm checks; only its direction,
   * shared by every member, gives it away).
   */
  constructor(model: SpamModel, pooled: readonly Example[], typical: readonly Example[], seed: number) {
    const flipped = pooled.map((e) => ({ ...e, spam: !e.spam }));
    this.#poisoner = spamTrainer({ model, train: flipped, seed });
    this.#calibration = spamTrainer({ model, train: typical, seed: seed + 1 });
  }

  poisoned(weights: Float32Array, options: TrainOptions): Float32Array {
    const key = fingerprint(weights);
    if (this.#cached?.key !== key) {
      const full = { ...options, workScale: 1 };
      const poison = this.#poisoner.train(weights, full).update;
      const size = norm(poison);
      const factor = size > 0 ? norm(this.#calibration.train(weights, full).update) / size : 0;
      this.#cached = { key, update: poison.map((x) => x * factor) };
    }
    return this.#cached.update;
  }
}

/** Identifies a global model: FNV-1a over its bytes (the group sees each version many times). */
function fingerprint(weights: Float32Array): string {
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return `${h.toString(16)}:${weights.length}`;
}

export interface AttackerContext {
  /** The device's honest trainer on its own shard. */
  honest: Trainer;
  /** The size of that shard: what a device that does not train claims. */
  examples: number;
  random: Random;
  sybils: SybilGroup;
}

/**
 * - sign-flip: −Δ (Li et al., "RSA", AAAI 2019; the sign-flipping attack);
 * - scaled: SCALE·Δ;
 * - noise: Gaussian noise of the norm the device's honest Δ would have had (Lin et al.'s
 *   disguised free rider, arXiv:1911.12560);
 * - free-rider-zero: the global model back unchanged, Δ = 0 (Lin et al.);
 * - free-rider-replay: the global model's movement since the device's last round,
 *   wₜ − wₜ₋ₖ, sent as its own (Lin et al.'s "delta weights"); it needs a previous model,
 *   so its first round is honest;
 * - sybil: the group's poisoned update (label-flipped training at an honest update's
 *   norm) plus a small perturbation of its own.
 */
export function attackTrainer(kind: AttackKind, context: AttackerContext): LocalTrainer {
  const { honest, examples, random, sybils } = context;
  const claimed = (update: Float32Array): TrainResult => ({ update, examples, loss: 0 });
  switch (kind) {
    case "sign-flip":
      return { train: (w, o) => mapped(honest.train(w, o), (u) => u.map((x) => -x)) };
    case "scaled":
      return { train: (w, o) => mapped(honest.train(w, o), (u) => u.map((x) => SCALE * x)) };
    case "noise":
      return {
        train: (w, o) =>
          mapped(honest.train(w, o), (u) => {
            const noise = gaussian(u.length, random);
            const factor = norm(u) / norm(noise);
            return noise.map((x) => x * factor);
          }),
      };
    case "free-rider-zero":
      return { train: (w) => claimed(new Float32Array(w.length)) };
    case "free-rider-replay": {
      let previous: Float32Array | undefined;
      return {
        train: (w, o) => {
          const seen = previous;
          previous = w.slice();
          return seen === undefined ? honest.train(w, o) : claimed(w.map((x, i) => x - seen[i]!));
        },
      };
    }
    case "sybil":
      return {
        train: (w, o) => {
          const poisoned = sybils.poisoned(w, o);
          const perturbation = gaussian(poisoned.length, random);
          const factor = (SYBIL_NOISE * norm(poisoned)) / norm(perturbation);
          return claimed(poisoned.map((x, i) => x + factor * perturbation[i]!));
        },
      };
  }
}
