/**
 * The SDK's compressing encoder: top-k sparsification and quantization at the density
 * and bits the server assigns at check-in, with error feedback (Stich et al. 2018;
 * Karimireddy et al. 2019) — what one update leaves out is carried into the next. Its
 * state (the residual) goes through saveState/restoreState, which the client persists.
 */
import type { ValueBits } from "../../shared/codecs/encoder";
import {
  ErrorFeedbackEncoder,
  type ErrorFeedbackOptions,
  type ErrorFeedbackState,
} from "../../shared/codecs/error-feedback";
import type { UpdateEncoder } from "./encoder";

export type ErrorFeedbackEncoderOptions = Omit<ErrorFeedbackOptions, "dim" | "density" | "bits">;

const BITS: readonly number[] = [32, 16, 8, 4];

export function errorFeedbackEncoder(options: ErrorFeedbackEncoderOptions = {}): UpdateEncoder {
  let encoder: ErrorFeedbackEncoder | null = null;
  let settings = "";
  let restored: ErrorFeedbackState | null = null;
  return {
    encode(update, meta, compression) {
      const density = compression?.density ?? 1;
      const bits = compression?.bits ?? 32;
      if (!BITS.includes(bits)) throw new RangeError(`unsupported bits per value ${bits}`);
      const full: ErrorFeedbackOptions = { ...options, dim: update.length, density, bits: bits as ValueBits };
      const key = `${update.length}/${density}/${bits}`;
      // A new assignment keeps the residual: the error owed to the model does not depend on how it is sent.
      if (encoder === null || key !== settings) {
        const state = encoder?.state() ?? restored;
        encoder =
          state && state.residual.length === update.length
            ? ErrorFeedbackEncoder.fromState(full, state)
            : new ErrorFeedbackEncoder(full);
        settings = key;
      }
      return encoder.encode(update, meta);
    },
    saveState: () => encoder?.state() ?? restored,
    residualRatio: () => encoder?.residualRatio ?? null,
    restoreState(state) {
      restored = (state as ErrorFeedbackState | null) ?? null;
      encoder = null;
    },
  };
}
