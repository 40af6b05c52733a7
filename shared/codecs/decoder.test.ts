import { describe, expect, it } from "vitest";
import { decodePayload, decodeToDense } from "./decoder";
import { Codec, IndexCoding } from "./ids";
import { f32Bytes, reasonOf, sparsePayload } from "./test-helpers";

const { Varint } = IndexCoding;

/** A sparse-q8 or -q4 payload with one block of the given scale bits and level bytes, indices 0, 1, …. */
function quantized(scaleBits: number, levels: number[], nnz: number): Uint8Array {
  const scale = new Uint8Array(4);
  new DataView(scale.buffer).setUint32(0, scaleBits, true);
  return sparsePayload({ coding: Varint, blockSize: 64, nnz }, [...scale, ...levels], new Array(nnz).fill(0));
}

describe("the reference decoder", () => {
  it("scatters a sparse payload into a dense vector of zeros", () => {
    // Indices 1 and 4: varint gaps 1 and 2.
    const payload = sparsePayload({ coding: Varint, nnz: 2 }, f32Bytes(0.5, -3), [1, 2]);
    expect(Array.from(decodeToDense(Codec.SparseF32, payload, 6))).toEqual([0, 0.5, 0, 0, -3, 0]);
  });

  it("decodes levels as level × scale: 8-bit bytes and 4-bit nibbles, low nibble first", () => {
    const q8 = quantized(0x3e000000, [127, 0x81, 2], 3); // scale 0.125; levels 127, −127, 2
    expect(Array.from(decodePayload(Codec.SparseQ8, q8, 8).values)).toEqual([15.875, -15.875, 0.25]);
    const q4 = quantized(0x3f800000, [0x97, 0x03], 3); // scale 1; levels 7, −7, 3
    expect(Array.from(decodePayload(Codec.SparseQ4, q4, 8).values)).toEqual([7, -7, 3]);
  });

  it("accepts a zero scale and refuses NaN, ±∞, negative and −0 scales as bad_scale", () => {
    expect(Array.from(decodePayload(Codec.SparseQ8, quantized(0, [5], 1), 8).values)).toEqual([0]);
    for (const bits of [0x7fc00000, 0x7f800000, 0xff800000, 0xbf800000, 0x80000000]) {
      expect(reasonOf(() => decodePayload(Codec.SparseQ8, quantized(bits, [1], 1), 8))).toBe("bad_scale");
    }
  });

  it("refuses the asymmetric levels −128 (8-bit) and −8 (4-bit) as level_out_of_range", () => {
    expect(reasonOf(() => decodePayload(Codec.SparseQ8, quantized(0x3f800000, [0x80], 1), 8))).toBe(
      "level_out_of_range",
    );
    expect(reasonOf(() => decodePayload(Codec.SparseQ4, quantized(0x3f800000, [0x08], 1), 8))).toBe(
      "level_out_of_range",
    );
  });

  it("refuses a nonzero unused nibble after an odd number of 4-bit levels as nonzero_padding", () => {
    expect(reasonOf(() => decodePayload(Codec.SparseQ4, quantized(0x3f800000, [0x11], 1), 8))).toBe(
      "nonzero_padding",
    );
  });

  it("refuses indices at or past dim and bytes after the last one", () => {
    const outOfRange = sparsePayload({ coding: Varint, nnz: 2 }, f32Bytes(1, 1), [3, 3]); // 3, 7
    expect(reasonOf(() => decodePayload(Codec.SparseF32, outOfRange, 7))).toBe("index_out_of_range");
    const trailing = sparsePayload({ coding: Varint, nnz: 1 }, f32Bytes(1), [3, 3]);
    expect(reasonOf(() => decodePayload(Codec.SparseF32, trailing, 70))).toBe("trailing_bytes");
  });

  it("reports NaN and ±∞ values as non_finite_value (HTTP 422) naming the model index", () => {
    const nan = sparsePayload({ coding: Varint, nnz: 2 }, f32Bytes(1, Number.NaN), [0, 4]);
    expect(() => decodePayload(Codec.SparseF32, nan, 8)).toThrow(
      /^non_finite_value: value at index 5 is NaN/,
    );
    const f16Infinity = sparsePayload({ coding: Varint, nnz: 1 }, [0x00, 0x7c], [2]);
    expect(reasonOf(() => decodePayload(Codec.SparseF16, f16Infinity, 8))).toBe("non_finite_value");
    const overflow = quantized(0x7f7fffff, [127], 1); // 127 × 3.4e38
    expect(reasonOf(() => decodePayload(Codec.SparseQ8, overflow, 8))).toBe("non_finite_value");
    expect(reasonOf(() => decodePayload(Codec.DenseF16, Uint8Array.of(0, 0, 0, 0xfc), 2))).toBe(
      "non_finite_value",
    );
  });

  it("checks structure before finiteness, so a frame with both problems is bad_frame", () => {
    const both = sparsePayload({ coding: Varint, nnz: 1 }, f32Bytes(Number.NaN), [9]);
    expect(reasonOf(() => decodePayload(Codec.SparseF32, both, 8))).toBe("index_out_of_range");
  });

  it("refuses a codec id that does not exist as unknown_codec", () => {
    expect(reasonOf(() => decodePayload(6, new Uint8Array(8), 2))).toBe("unknown_codec");
  });
});
