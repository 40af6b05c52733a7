/**
 * Why a payload breaks docs/codecs.md. Clients only see `{ code, message }`, so the
 * reason also starts the message ("index_out_of_range: …") for them to branch on.
 */
import { FedgeError } from "../errors";

export type CodecReason =
  /** The frame names a codec id that does not exist. */
  | "unknown_codec"
  /** A section needs more bytes than the payload has. */
  | "truncated"
  /** Bytes are left over after the last section, or inside a section after its content. */
  | "trailing_bytes"
  /** A count disagrees with another count or with the bytes: nnz vs the header, vs dim, vs the bitmap. */
  | "count_mismatch"
  /** The raw payload is larger than the dense-f32 payload, the largest legal one. */
  | "larger_than_dense"
  /** Sparse payload byte 0 is not an index coding. */
  | "bad_index_coding"
  /** The Golomb-Rice parameter is not allowed for this index coding and dim. */
  | "bad_rice_parameter"
  /** The quantization block size is 0 for 8-/4-bit values, or not 0 for float values. */
  | "bad_block_size"
  /** A block scale is NaN, ±∞, negative or −0. */
  | "bad_scale"
  /** A level is −128 (8-bit) or −8 (4-bit): outside the symmetric range ±L. */
  | "level_out_of_range"
  /** An index is ≥ dim. */
  | "index_out_of_range"
  /** A varint has more than 5 bytes or a value above 2³² − 1. */
  | "varint_overflow"
  /** A varint is not the shortest encoding of its value. */
  | "varint_overlong"
  /** Unused bits at the end of a bit-packed section are not zero. */
  | "nonzero_padding"
  /** A deflated payload is not a valid raw DEFLATE stream. */
  | "inflate_failed"
  /** A deflated payload inflates to more than the largest legal payload. */
  | "inflated_too_large"
  /** A value decodes to NaN or ±∞ (code non_finite_value; every other reason is bad_frame). */
  | "non_finite_value";

export class CodecError extends FedgeError {
  readonly reason: CodecReason;

  constructor(reason: CodecReason, detail: string) {
    super(reason === "non_finite_value" ? "non_finite_value" : "bad_frame", `${reason}: ${detail}`);
    this.reason = reason;
  }
}

export function codecError(reason: CodecReason, detail: string): never {
  throw new CodecError(reason, detail);
}
