import { describe, expect, it } from "vitest";
import { Codec, IndexCoding } from "./ids";
import { checkCounts, maxPayloadBytes, payloadLayout } from "./layout";
import { f32Bytes, reasonOf, sparsePayload } from "./test-helpers";

const { Varint, Bitmap, Rice } = IndexCoding;

describe("payload layout", () => {
  it("places a sparse payload's value section after its 8-byte header and the index section after that", () => {
    // Two q8 values in one block of 2: scale (4 bytes) + 2 levels, then 2 varint gaps.
    const payload = sparsePayload({ coding: Varint, blockSize: 2, nnz: 2 }, [...f32Bytes(1), 5, 6], [3, 0]);
    expect(payloadLayout(Codec.SparseQ8, 100, payload, 2)).toEqual({
      sparse: true,
      values: "q8",
      nnz: 2,
      indexCoding: Varint,
      riceParameter: 0,
      blockSize: 2,
      indexOffset: 14,
    });
  });

  it("requires a dense payload to be exactly dim values", () => {
    expect(payloadLayout(Codec.DenseF16, 3, new Uint8Array(6))).toEqual({
      sparse: false,
      values: "f16",
      nnz: 3,
    });
    expect(reasonOf(() => payloadLayout(Codec.DenseF16, 3, new Uint8Array(5)))).toBe("truncated");
    expect(reasonOf(() => payloadLayout(Codec.DenseF32, 3, new Uint8Array(13)))).toBe("trailing_bytes");
  });

  it("refuses a sparse payload larger than the dense-f32 one: 4 × dim bytes bounds every payload", () => {
    const payload = sparsePayload({ coding: Varint, nnz: 1 }, f32Bytes(1), [0]);
    expect(payload.byteLength).toBe(13);
    expect(maxPayloadBytes(3)).toBe(12);
    expect(reasonOf(() => payloadLayout(Codec.SparseF32, 3, payload))).toBe("larger_than_dense");
    expect(reasonOf(() => payloadLayout(Codec.SparseF32, 4, payload))).toBe("ok");
  });

  it("refuses a header it cannot hold, or counts that disagree, as truncated or count_mismatch", () => {
    expect(reasonOf(() => payloadLayout(Codec.SparseF32, 100, new Uint8Array(7)))).toBe("truncated");
    const one = sparsePayload({ coding: Varint, nnz: 1 }, f32Bytes(1), [0]);
    expect(reasonOf(() => payloadLayout(Codec.SparseF32, 100, one, 2))).toBe("count_mismatch");
    const tooMany = sparsePayload({ coding: Varint, nnz: 5 }, f32Bytes(1), [0]);
    expect(reasonOf(() => payloadLayout(Codec.SparseF32, 4, tooMany))).toBe("count_mismatch");
  });

  it("refuses unknown index codings, misplaced or oversized Rice parameters, and wrong block sizes", () => {
    const at = (header: Parameters<typeof sparsePayload>[0], codec: number = Codec.SparseF32) =>
      reasonOf(() => payloadLayout(codec, 64, sparsePayload(header, f32Bytes(1), [0])));
    expect(at({ coding: 3, nnz: 1 })).toBe("bad_index_coding");
    expect(at({ coding: Varint, rice: 1, nnz: 1 })).toBe("bad_rice_parameter");
    expect(at({ coding: Rice, rice: 7, nnz: 1 })).toBe("bad_rice_parameter"); // 2⁷ > 64
    expect(at({ coding: Rice, rice: 6, nnz: 1 })).toBe("ok"); // 2⁶ = 64 = dim
    expect(at({ coding: Varint, blockSize: 1, nnz: 1 })).toBe("bad_block_size");
    expect(at({ coding: Varint, blockSize: 0, nnz: 1 }, Codec.SparseQ4)).toBe("bad_block_size");
  });

  it("refuses a value section longer than the payload as truncated", () => {
    const payload = sparsePayload({ coding: Varint, nnz: 3 }, f32Bytes(1, 2), [0, 0, 0]);
    expect(reasonOf(() => payloadLayout(Codec.SparseF32, 100, payload))).toBe("truncated");
  });

  it("bounds each index section by what nnz indices below dim can take", () => {
    const at = (coding: number, index: number[], nnz = 2, rice = 0) =>
      reasonOf(() =>
        payloadLayout(
          Codec.SparseF16,
          64,
          sparsePayload({ coding, rice, nnz }, new Uint8Array(2 * nnz), index),
        ),
      );
    // Varint: 1 … 5 bytes per index.
    expect(at(Varint, [0])).toBe("truncated");
    expect(at(Varint, new Array(11).fill(0x80))).toBe("trailing_bytes");
    // Bitmap: exactly ⌈64 / 8⌉ = 8 bytes.
    expect(at(Bitmap, new Array(7).fill(0))).toBe("truncated");
    expect(at(Bitmap, new Array(9).fill(0))).toBe("trailing_bytes");
    expect(at(Bitmap, new Array(8).fill(0))).toBe("ok");
    // Rice k = 3: ≥ 2 × 4 bits, ≤ (8 + ⌊62 / 8⌋) bits → exactly 1 … 2 bytes.
    expect(at(Rice, [], 2, 3)).toBe("truncated");
    expect(at(Rice, [0, 0, 0], 2, 3)).toBe("trailing_bytes");
    expect(at(Rice, [0, 0], 2, 3)).toBe("ok");
  });

  it("checks a frame header's nnz: dim for dense codecs, at most dim for sparse ones", () => {
    expect(reasonOf(() => checkCounts(Codec.DenseF32, 4, 3))).toBe("count_mismatch");
    expect(reasonOf(() => checkCounts(Codec.SparseQ4, 4, 5))).toBe("count_mismatch");
    expect(reasonOf(() => checkCounts(Codec.SparseQ4, 4, 0))).toBe("ok");
  });
});
