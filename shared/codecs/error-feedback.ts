/**
 * Error feedback: what compression leaves out of one update is carried into the next
 * instead of being lost (Stich et al., "Sparsified SGD with Memory", NeurIPS 2018;
 * Karimireddy et al., "Error Feedback Fixes SignSGD and other Gradient Compression
 * Schemes", ICML 2019). With residual e and C = encode then decode:
 *   pₜ = eₜ₋₁ + Δₜ,   x̂ₜ = C(pₜ),   eₜ = pₜ − x̂ₜ
 * so Σₜ x̂ₜ + e_T = Σₜ Δₜ: every part of every update is sent eventually. x̂ₜ is decoded
 * from the frame itself, so e holds everything the server will not see — the values top-k
 * skipped and the rounding of those it sent.
 *
 * Optional, from Deep Gradient Compression (Lin et al., ICLR 2018): momentum correction
 * (§3.2) accumulates velocity rather than raw updates, uₜ = m·uₜ₋₁ + Δₜ, vₜ = vₜ₋₁ + uₜ,
 * x̂ₜ = C(vₜ), vₜ ← vₜ − x̂ₜ, so that a coordinate sent late still gets the momentum it
 * would have had; momentum factor masking (§3.3) zeroes uₜ where x̂ₜ was sent, so that
 * stale momentum does not push those coordinates again. A density schedule gives DGC's
 * warm-up (§3.3): start dense and shrink the density over the first updates.
 */

import { type EncodeOptions, parseFrame } from "../protocol/frame";
import { l2Norm } from "../trust/vectors";
import { decodePayload } from "./decoder";
import { type CompressionOptions, encodeUpdate, type ValueBits } from "./encoder";
import { SeededRandom } from "./random";

export interface ErrorFeedbackOptions {
  dim: number;
  /** Fraction of values per update, or a schedule over the update number t = 0, 1, …; omit to send every value. */
  density?: number | ((step: number) => number);
  bits?: ValueBits;
  blockSize?: number;
  /** DGC momentum correction with this momentum m, 0 < m < 1. */
  momentum?: number;
  /** DGC momentum factor masking (needs momentum). A dense frame counts every index as sent. */
  maskMomentum?: boolean;
  /** Seed for stochastic rounding; default random. */
  seed?: number;
}

/** Everything an encoder needs to resume where it stopped. Typed arrays survive structured clone (IndexedDB). */
export interface ErrorFeedbackState {
  /** Updates encoded so far. */
  step: number;
  residual: Float32Array;
  /** The momentum velocity u, or null without momentum. */
  velocity: Float32Array | null;
  randomState: number;
}

export class ErrorFeedbackEncoder {
  readonly #options: ErrorFeedbackOptions;
  #step = 0;
  #residual: Float32Array;
  #residualRatio: number | null = null;
  #velocity: Float32Array | null;
  #randomState: number;

  constructor(options: ErrorFeedbackOptions) {
    const { dim, momentum, maskMomentum } = options;
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    if (momentum !== undefined && !(momentum > 0 && momentum < 1)) {
      throw new RangeError(`momentum must be in (0, 1), got ${momentum}`);
    }
    if (maskMomentum && momentum === undefined) throw new RangeError("maskMomentum needs momentum");
    this.#options = options;
    this.#residual = new Float32Array(dim);
    this.#velocity = momentum === undefined ? null : new Float32Array(dim);
    this.#randomState = (options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!) >>> 0;
  }

  /** An encoder that continues from a saved state; options must be the ones it was saved with. */
  static fromState(options: ErrorFeedbackOptions, state: ErrorFeedbackState): ErrorFeedbackEncoder {
    const encoder = new ErrorFeedbackEncoder({ ...options, seed: state.randomState });
    const { dim } = options;
    if (!Number.isInteger(state.step) || state.step < 0) throw new RangeError(`bad step ${state.step}`);
    if (state.residual.length !== dim || !state.residual.every(Number.isFinite)) {
      throw new RangeError(`residual must be ${dim} finite values`);
    }
    if ((state.velocity === null) !== (encoder.#velocity === null)) {
      throw new RangeError("velocity must be present exactly when momentum is set");
    }
    if (state.velocity && (state.velocity.length !== dim || !state.velocity.every(Number.isFinite))) {
      throw new RangeError(`velocity must be ${dim} finite values`);
    }
    encoder.#step = state.step;
    encoder.#residual = state.residual.slice();
    encoder.#velocity = state.velocity?.slice() ?? null;
    return encoder;
  }

  /** Updates encoded so far. */
  get step(): number {
    return this.#step;
  }

  /** A copy of what has not been sent yet: e, or v with momentum correction. */
  /**
   * What the last frame left out: ‖residual‖ / ‖update + residual carried in‖, 0 when all
   * was sent (or nothing was owed); null before the first encode.
   */
  get residualRatio(): number | null {
    return this.#residualRatio;
  }

  get residual(): Float32Array {
    return this.#residual.slice();
  }

  /** A copy of the momentum velocity u, or null without momentum. */
  get velocity(): Float32Array | null {
    return this.#velocity?.slice() ?? null;
  }

  state(): ErrorFeedbackState {
    return {
      step: this.#step,
      residual: this.residual,
      velocity: this.velocity,
      randomState: this.#randomState,
    };
  }

  /**
   * Encodes update plus everything carried over as one frame, and carries over what the
   * frame does not hold. On a RangeError (bad input) the state is unchanged.
   */
  encode(update: Float32Array, meta: EncodeOptions): Uint8Array {
    const { dim, density, momentum, maskMomentum } = this.#options;
    if (update.length !== dim) throw new RangeError(`update has ${update.length} values, expected ${dim}`);
    const velocity = this.#velocity?.slice() ?? null;
    const carried = this.#residual.slice();
    for (let i = 0; i < dim; i++) {
      if (velocity) velocity[i] = momentum! * velocity[i]! + update[i]!;
      carried[i] = carried[i]! + (velocity ? velocity[i]! : update[i]!);
    }
    const random = new SeededRandom(this.#randomState);
    const compression: CompressionOptions = {
      density: typeof density === "function" ? density(this.#step) : density,
      bits: this.#options.bits,
      blockSize: this.#options.blockSize,
      random: random.next,
    };
    const frame = encodeUpdate(carried, { ...compression, ...meta });
    const { header, payload } = parseFrame(frame);
    const sent = decodePayload(header.codec, payload, dim);
    const owed = l2Norm(carried);
    for (let j = 0; j < sent.values.length; j++) {
      const i = sent.indices ? sent.indices[j]! : j;
      carried[i] = carried[i]! - sent.values[j]!;
      if (velocity && maskMomentum) velocity[i] = 0;
    }
    this.#residual = carried;
    this.#residualRatio = owed > 0 ? l2Norm(carried) / owed : 0;
    this.#velocity = velocity;
    this.#step += 1;
    this.#randomState = random.state;
    return frame;
  }
}
