/**
 * The kernels' error codes (wasm/assembly/errors.ts) as shared/codecs' CodecErrors.
 *
 * The kernel decides whether a payload is refused and why; the reason alone is a number.
 * For the message's details (which index, which byte) the wrapper decodes the refused
 * payload once more with the reference decoder — a cold path — and throws its CodecError,
 * so both backends refuse a payload with the same reason and the same message. Should
 * the two ever disagree, that is a kernel bug, and it surfaces as a plain Error.
 */
import type { CodecReason } from "../shared/codecs/codec-error";
import { CodecError } from "../shared/codecs/codec-error";
import { decodePayload } from "../shared/codecs/decoder";

/** Index = kernel code; code 0 is success. */
export const KERNEL_REASONS: readonly (CodecReason | null)[] = [
  null,
  "unknown_codec",
  "truncated",
  "trailing_bytes",
  "count_mismatch",
  "larger_than_dense",
  "bad_index_coding",
  "bad_rice_parameter",
  "bad_block_size",
  "bad_scale",
  "level_out_of_range",
  "index_out_of_range",
  "varint_overflow",
  "varint_overlong",
  "nonzero_padding",
  "non_finite_value",
];

/** The error to throw for a payload the kernel refused with code (≠ 0). */
export function kernelError(code: number, codec: number, payload: Uint8Array, dim: number): Error {
  const reason = KERNEL_REASONS[code] ?? `unknown kernel code ${code}`;
  try {
    decodePayload(codec, payload, dim);
  } catch (error) {
    if (error instanceof CodecError && error.reason === reason) return error;
    return new Error(`the WASM kernel refused a payload with ${reason}, the reference decoder with ${error}`);
  }
  return new Error(`the WASM kernel refused a payload with ${reason}, but the reference decoder accepts it`);
}
