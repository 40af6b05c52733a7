/**
 * Turns a model update into the bytes of an update frame. The default writes dense f32
 * (codec 0); compressing encoders (sparse, quantized, with error feedback) plug in through
 * the same interface. An encoder with state — an error-feedback residual — exposes it
 * through saveState/restoreState, and the client persists it after every encode and
 * restores it on start, so a restart does not forget the error still owed to the model.
 */
import { encodeDenseF32Frame } from "../../shared/protocol/frame";
import type { CompressionHint } from "./api-types";

export interface EncodeMeta {
  /** The model version the update was trained from. */
  baseVersion: number;
  /** The update's weight in FedAvg: the number of local training examples. */
  sampleWeight: number;
  /** 32 lowercase hex digits, chosen once per update. */
  updateId: string;
  /** 8 hex digits, from the check-in's `upload.layoutHash`. */
  layoutHash: string;
}

export interface UpdateEncoder {
  encode(
    update: Float32Array,
    meta: EncodeMeta,
    compression?: CompressionHint,
  ): Uint8Array | Promise<Uint8Array>;
  /** A snapshot of the encoder's state; JSON-compatible values and typed arrays survive the store. */
  saveState?(): unknown;
  /** What the last update encoded left out, ‖residual‖ / ‖owed‖ (error feedback); null before any. */
  residualRatio?(): number | null;
  restoreState?(state: unknown): void;
}

/**
 * Dense f32 frames, which every fedge server accepts; a compression hint is advisory and
 * this encoder, which has nothing to compress with, ignores it.
 */
export const denseF32Encoder: UpdateEncoder = {
  encode: (update, meta) => encodeDenseF32Frame(update, meta),
};
