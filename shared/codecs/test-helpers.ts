/** What the codec tests share: frame metadata, and the reason a call was refused with. */
import type { EncodeOptions } from "../protocol/frame";
import { CodecError } from "./codec-error";

export const META: EncodeOptions = {
  baseVersion: 0,
  sampleWeight: 10,
  updateId: "00112233445566778899aabbccddeeff",
  layoutHash: "deadbeef",
};

/** "ok" if fn returns, the CodecError's reason if it throws one; anything else is rethrown. */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (error instanceof CodecError) return error.reason;
    throw error;
  }
}

/** A sparse payload assembled field by field, valid or not: header, value section bytes, index section bytes. */
export function sparsePayload(
  header: { coding: number; rice?: number; blockSize?: number; nnz: number },
  values: ArrayLike<number>,
  index: ArrayLike<number>,
): Uint8Array {
  const out = new Uint8Array(8 + values.length + index.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, header.coding);
  view.setUint8(1, header.rice ?? 0);
  view.setUint16(2, header.blockSize ?? 0, true);
  view.setUint32(4, header.nnz, true);
  out.set(values, 8);
  out.set(index, 8 + values.length);
  return out;
}

/** The little-endian bytes of f32 values. */
export function f32Bytes(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
