import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bitmapBytes, readBitmap, writeBitmap } from "./bitmap";
import { reasonOf } from "./test-helpers";

const indexSets = fc
  .integer({ min: 1, max: 200 })
  .chain((dim) => fc.tuple(fc.constant(dim), fc.uniqueArray(fc.nat({ max: dim - 1 }), { maxLength: dim })));

describe("bitmap index sets", () => {
  it("round-trip any index set in ⌈dim/8⌉ bytes", () => {
    fc.assert(
      fc.property(indexSets, ([dim, list]) => {
        const indices = Uint32Array.from(list.sort((a, b) => a - b));
        const bytes = new Uint8Array(bitmapBytes(dim));
        writeBitmap(bytes, 0, indices);
        const out = new Uint32Array(indices.length);
        readBitmap(bytes, 0, dim, out);
        expect(out).toEqual(indices);
      }),
    );
  });

  it("put index i at bit i mod 8 of byte ⌊i/8⌋, least significant bit first", () => {
    const bytes = new Uint8Array(2);
    writeBitmap(bytes, 0, Uint32Array.of(0, 3, 9));
    expect(Array.from(bytes)).toEqual([0b0000_1001, 0b0000_0010]);
  });

  it("refuse a set bit at or past dim as index_out_of_range", () => {
    expect(reasonOf(() => readBitmap(Uint8Array.of(0b0010_0000), 0, 5, new Uint32Array(1)))).toBe(
      "index_out_of_range",
    );
  });

  it("refuse more or fewer set bits than nnz as count_mismatch, never writing past the output", () => {
    const out = new Uint32Array(1);
    expect(reasonOf(() => readBitmap(Uint8Array.of(0b11), 0, 8, out))).toBe("count_mismatch");
    expect(reasonOf(() => readBitmap(Uint8Array.of(0), 0, 8, out))).toBe("count_mismatch");
  });
});
