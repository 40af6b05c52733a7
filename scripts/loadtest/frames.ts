/**
 * Update frames for the simulated devices: top-k sparse frames of the task's model
 * (shared/codecs/encoder.ts), made once for a small pool of seeded random updates; each
 * upload re-headers one of them with its base version and a fresh update id, so the
 * load generator spends no time on top-k while every frame is a real, valid update.
 */

import { type Random, seededRandom } from "../../sdk/spam/random";
import { encodeUpdate, type ValueBits } from "../../shared/codecs/encoder";
import { encodeFrame, FRAME_HEADER_BYTES, type Frame, parseFrame, toHex } from "../../shared/protocol/frame";

const POOL_SIZE = 16;

export interface FrameOptions {
  parameters: number;
  density: number;
  bits: ValueBits;
  layoutHash: string;
  seed: number;
}

export interface Upload {
  /** `${deviceId}:${updateId}`: the service's idempotency key, and the harness's ack key. */
  key: string;
  frame: Uint8Array<ArrayBuffer>;
}

export class FramePool {
  readonly #frames: Frame[];
  readonly #layoutHash: string;
  #next = 0;

  constructor(o: FrameOptions) {
    const random = seededRandom(o.seed);
    this.#layoutHash = o.layoutHash;
    this.#frames = Array.from({ length: POOL_SIZE }, () => {
      // Δ ~ N(0, 0.01²)-ish: small, finite, every coordinate distinct, like a gradient step.
      const values = Float32Array.from({ length: o.parameters }, () => 0.01 * (random() + random() - 1));
      const bytes = encodeUpdate(values, {
        density: o.density,
        bits: o.bits,
        random,
        baseVersion: 0,
        sampleWeight: 1,
        updateId: "01".repeat(16),
        layoutHash: o.layoutHash,
      });
      return parseFrame(bytes);
    });
  }

  /** Bytes of the pool's frames (their sizes differ by a few bytes with the index coding). */
  get frameBytes(): number {
    const total = this.#frames.reduce((s, f) => s + FRAME_HEADER_BYTES + f.payload.byteLength, 0);
    return Math.round(total / this.#frames.length);
  }

  /** Any frame of the pool, as the bare ceiling's body: the same bytes fedge receives. */
  body(): Uint8Array<ArrayBuffer> {
    const f = this.#frames[this.#next++ % this.#frames.length]!;
    return this.#encode(f, 0, "01".repeat(16));
  }

  /** A new update of `device` for `baseVersion`, with an update id drawn from the device's stream. */
  upload(deviceId: string, random: Random, baseVersion: number, sampleWeight: number): Upload {
    const f = this.#frames[this.#next++ % this.#frames.length]!;
    const id = new Uint8Array(16).map(() => Math.floor(random() * 256));
    id[15]! |= 1; // never all zeros (bad_frame)
    const updateId = toHex(id);
    return {
      key: `${deviceId}:${updateId}`,
      frame: this.#encode(f, baseVersion, updateId, sampleWeight),
    };
  }

  #encode(f: Frame, baseVersion: number, updateId: string, sampleWeight = 1): Uint8Array<ArrayBuffer> {
    const { codec, flags, dim, nnz } = f.header;
    const bytes = encodeFrame({ codec, flags, dim, nnz }, f.payload, {
      baseVersion,
      sampleWeight,
      updateId,
      layoutHash: this.#layoutHash,
    });
    // encodeFrame allocates a fresh ArrayBuffer (never a shared one): a valid fetch body.
    return bytes as Uint8Array<ArrayBuffer>;
  }
}
