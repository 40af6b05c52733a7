import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bestRiceParameter, maxRiceParameter, readRice, riceBits, writeRice } from "./golomb-rice";
import { SeededRandom } from "./random";
import { reasonOf } from "./test-helpers";

const indexSets = fc
  .integer({ min: 1, max: 5000 })
  .chain((dim) =>
    fc.tuple(fc.constant(dim), fc.uniqueArray(fc.nat({ max: dim - 1 }), { maxLength: Math.min(dim, 300) })),
  )
  .map(([dim, list]) => ({ dim, indices: Uint32Array.from(list.sort((a, b) => a - b)) }));

function encode(indices: Uint32Array, k: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(riceBits(indices, k) / 8));
  writeRice(bytes, 0, indices, k);
  return bytes;
}

/** dim indices, each present with probability p: geometric gaps, as top-k of noise gives. */
function randomIndexSet(dim: number, p: number, seed: number): Uint32Array {
  const random = new SeededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < dim; i++) if (random.next() < p) out.push(i);
  return Uint32Array.from(out);
}

describe("Golomb-Rice index coding", () => {
  it("round-trips any increasing index set with every allowed k, in exactly riceBits bits", () => {
    fc.assert(
      fc.property(indexSets, fc.nat({ max: 12 }), ({ dim, indices }, kk) => {
        const k = Math.min(kk, maxRiceParameter(dim));
        const bytes = encode(indices, k);
        const out = new Uint32Array(indices.length);
        readRice(bytes, 0, bytes.length, dim, k, out);
        expect(out).toEqual(indices);
      }),
    );
  });

  it("codes gaps as q ones, a zero, then k remainder bits, packed least significant bit first", () => {
    // Indices 5 and 6 with k = 2: gaps 5 (q = 1, r = 01) and 0 (q = 0, r = 00).
    // Bit stream 1 0 1 0 | 0 0 0 → byte 0b0000_0101.
    expect(Array.from(encode(Uint32Array.of(5, 6), 2))).toEqual([0b0000_0101]);
  });

  it("picks the k with the fewest bits, among those with 2^k ≤ dim, the smallest on a tie", () => {
    const check = ({ dim, indices }: { dim: number; indices: Uint32Array }) => {
      const sizes = Array.from({ length: maxRiceParameter(dim) + 1 }, (_, k) => riceBits(indices, k));
      const fewest = Math.min(...sizes);
      expect(bestRiceParameter(indices, dim)).toEqual({ k: sizes.indexOf(fewest), bits: fewest });
    };
    fc.assert(fc.property(indexSets, check));
    // Clustered runs and lone far indices, where the mean gap is a poor start.
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 1 << 20 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 64 })), {
          maxLength: 20,
        }),
        (dim, runs) => {
          const set = new Set<number>();
          for (const [at, length] of runs) {
            const start = Math.floor(at * (dim - 1));
            for (let i = start; i < Math.min(dim, start + length); i++) set.add(i);
          }
          check({ dim, indices: Uint32Array.from([...set].sort((a, b) => a - b)) });
        },
      ),
    );
  });

  it("costs at most 8.3 bits per index for indices spread at random with density 1% (entropy ≈ 8.08)", () => {
    const indices = randomIndexSet(1 << 20, 0.01, 3);
    const { k, bits } = bestRiceParameter(indices, 1 << 20);
    expect(k).toBe(6); // log₂(ln 2 / 0.01) ≈ 6.1
    expect(bits / indices.length).toBeLessThan(8.3);
  });

  it("refuses a quotient that would reach dim as index_out_of_range, before the run of ones ends", () => {
    // 4 bytes of ones with k = 0 and dim 10: the run passes dim after the second byte.
    const bytes = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
    expect(reasonOf(() => readRice(bytes, 0, 4, 10, 0, new Uint32Array(1)))).toBe("index_out_of_range");
  });

  it("refuses a code that runs past the section as truncated", () => {
    // Index 2 with k = 2 is "0" then "01", in a section cut to zero bytes.
    const bytes = encode(Uint32Array.of(2), 2);
    expect(reasonOf(() => readRice(bytes, 0, 0, 8, 2, new Uint32Array(1)))).toBe("truncated");
    // One byte, two codes' worth of bits, three indices announced.
    expect(reasonOf(() => readRice(Uint8Array.of(0b01), 0, 1, 100, 3, new Uint32Array(3)))).toBe("truncated");
  });

  it("refuses nonzero padding bits and bytes after the last code", () => {
    const bytes = encode(Uint32Array.of(1), 1); // "0" "1" → 0b10
    expect(reasonOf(() => readRice(Uint8Array.of(bytes[0]! | 0x80), 0, 1, 8, 1, new Uint32Array(1)))).toBe(
      "nonzero_padding",
    );
    expect(reasonOf(() => readRice(Uint8Array.of(bytes[0]!, 0), 0, 2, 8, 1, new Uint32Array(1)))).toBe(
      "trailing_bytes",
    );
  });

  it("refuses an index past dim that the quotient alone does not reveal", () => {
    // dim 5, k = 2: index 6 is q = 1, r = 2 — "1 0 0 1".
    expect(reasonOf(() => readRice(Uint8Array.of(0b1001), 0, 1, 5, 2, new Uint32Array(1)))).toBe(
      "index_out_of_range",
    );
  });
});
