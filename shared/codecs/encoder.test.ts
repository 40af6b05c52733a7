import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FRAME_HEADER_BYTES, parseFrame } from "../protocol/frame";
import { decodePayload, decodeToDense } from "./decoder";
import { DEFAULT_BLOCK_SIZE, encodeExact, encodeUpdate, type ValueBits } from "./encoder";
import { F16_MAX } from "./f16";
import { Codec, codecInfo, IndexCoding } from "./ids";
import { indexSections } from "./index-section";
import { maxPayloadBytes } from "./layout";
import { dequantize, QUANT_LEVELS, quantizationStep } from "./quantize";
import { SeededRandom } from "./random";
import { META } from "./test-helpers";
import { topK } from "./top-k";

// Up to ±1e38: within an ulp or so of the f32 maximum, a quantized top level would overflow (last test).
const updates = fc.float32Array({
  minLength: 1,
  maxLength: 400,
  min: Math.fround(-1e38),
  max: Math.fround(1e38),
  noNaN: true,
});
const options = fc.record({
  density: fc.option(fc.double({ min: 0.001, max: 1, noNaN: true }), { nil: undefined }),
  bits: fc.constantFrom<ValueBits>(32, 16, 8, 4),
  blockSize: fc.integer({ min: 1, max: 100 }),
  seed: fc.nat(),
});

/** What each value may become: exact (f32), nearest half (f16), within one step of its block (q8, q4). */
function errorBound(bits: ValueBits, x: number, blockMax: number): number {
  if (bits === 32) return 0;
  if (bits === 16) {
    const clamped = Math.min(Math.abs(x), F16_MAX);
    return Math.abs(x) - clamped + (clamped >= 2 ** -14 ? 2 ** -11 * clamped : 2 ** -25);
  }
  const L = bits === 8 ? QUANT_LEVELS.q8 : QUANT_LEVELS.q4;
  return quantizationStep(blockMax, L) * (1 + L * 2 ** -24);
}

describe("encodeUpdate", () => {
  it("round-trips every codec within its stated error bound, sending exactly the k largest magnitudes", () => {
    fc.assert(
      fc.property(updates, options, (values, { density, bits, blockSize, seed }) => {
        // Execute
        const frame = encodeUpdate(values, {
          ...META,
          density,
          bits,
          blockSize,
          random: new SeededRandom(seed).next,
        });
        const { header, payload } = parseFrame(frame);
        const decoded = decodeToDense(header.codec, payload, values.length);

        // Assert: the carried set is top-k (k = every value without a density), the rest is 0.
        const dim = values.length;
        const dense = density === undefined && bits >= 16;
        const k = dense ? dim : Math.min(dim, Math.max(1, Math.round((density ?? 1) * dim)));
        const carried = topK(values, k);
        const isCarried = new Uint8Array(dim);
        for (const i of carried) isCarried[i] = 1;
        // Quantization blocks: B consecutive carried values, in index order.
        const blockMax = new Float64Array(Math.ceil(k / blockSize));
        carried.forEach((i, j) => {
          const b = Math.floor(j / blockSize);
          blockMax[b] = Math.max(blockMax[b]!, Math.abs(values[i]!));
        });
        for (let i = 0, j = 0; i < dim; i++) {
          if (!isCarried[i]) {
            expect(decoded[i]).toBe(0);
            continue;
          }
          const bound = errorBound(bits, values[i]!, blockMax[Math.floor(j++ / blockSize)]!);
          expect(Math.abs(decoded[i]! - values[i]!)).toBeLessThanOrEqual(bound);
        }
        expect(frame.byteLength).toBeLessThanOrEqual(FRAME_HEADER_BYTES + maxPayloadBytes(dim));
      }),
    );
  });

  it("sends dense-f32 and dense-f16 without a density, sparse codecs with one", () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const codecOf = (o: Parameters<typeof encodeUpdate>[1]) =>
      parseFrame(encodeUpdate(values, o)).header.codec;
    expect(codecOf(META)).toBe(Codec.DenseF32);
    expect(codecOf({ ...META, bits: 16 })).toBe(Codec.DenseF16);
    expect(codecOf({ ...META, density: 0.1 })).toBe(Codec.SparseF32);
    expect(codecOf({ ...META, density: 0.1, bits: 16 })).toBe(Codec.SparseF16);
    expect(codecOf({ ...META, density: 0.1, bits: 8 })).toBe(Codec.SparseQ8);
    expect(codecOf({ ...META, bits: 4 })).toBe(Codec.SparseQ4);
  });

  it("produces the same bytes as encodeDenseF32Frame for dense-f32", async () => {
    const { encodeDenseF32Frame } = await import("../protocol/frame");
    const values = Float32Array.of(1, -2.5, 0, 3e-40);
    expect(encodeUpdate(values, META)).toEqual(encodeDenseF32Frame(values, META));
  });

  it("writes the smallest index coding, and says which in the payload", () => {
    fc.assert(
      fc.property(updates, fc.double({ min: 0.001, max: 1, noNaN: true }), (values, density) => {
        const { header, payload } = parseFrame(encodeUpdate(values, { ...META, density, bits: 8 }));
        if (!codecInfo(header.codec)!.sparse) return; // the dense fallback of a tiny update
        const indices = decodePayload(header.codec, payload, values.length).indices!;
        const sizes = indexSections(indices, values.length).map((s) => s.bytes);
        expect(sizes[payload[0]!]).toBe(Math.min(...sizes));
      }),
    );
  });

  it("chooses Golomb-Rice at 1%, the bitmap at 50%, varints for widely spaced clusters", () => {
    const codingOf = (values: Float32Array, density: number) =>
      parseFrame(encodeUpdate(values, { ...META, density, bits: 8 })).payload[0];
    const random = new SeededRandom(1);
    const noise = Float32Array.from({ length: 1 << 16 }, () => random.next() - 0.5);
    expect(codingOf(noise, 0.01)).toBe(IndexCoding.Rice);
    expect(codingOf(noise, 0.5)).toBe(IndexCoding.Bitmap);
    // Pairs of neighbours: gaps alternate 0 and 2¹⁴ − 1, 1 and 2 bytes as varints (12 bits
    // per index), while one Rice parameter must serve both (≥ 14 bits per index).
    const pairs = new Float32Array(1 << 20);
    let n = 0;
    for (let i = 0; i + 1 < pairs.length; i += 2 ** 14 + 1, n += 2) pairs[i] = pairs[i + 1] = 1;
    expect(codingOf(pairs, n / pairs.length)).toBe(IndexCoding.Varint);
  });

  it("sends dense-f32 of the same values when the sparse payload would be larger", () => {
    // Prepare: f32 values at density 1 cost 4 bytes each plus their indices.
    const values = Float32Array.from({ length: 40 }, (_, i) => i - 20);
    // Execute
    const { header, payload } = parseFrame(encodeUpdate(values, { ...META, density: 1 }));
    const tiny = parseFrame(encodeUpdate(Float32Array.of(0.3), { ...META, density: 1, bits: 8 }));
    // Assert: dense-f32 frames carrying what the sparse ones would have decoded to.
    expect(header.codec).toBe(Codec.DenseF32);
    expect(decodeToDense(header.codec, payload, 40)).toEqual(values);
    expect(tiny.header.codec).toBe(Codec.DenseF32);
    const level127 = dequantize(127, quantizationStep(Math.fround(0.3), QUANT_LEVELS.q8));
    expect(Array.from(decodeToDense(tiny.header.codec, tiny.payload, 1))).toEqual([level127]);
  });

  it("uses blocks of 512 by default and writes the block size into the payload", () => {
    const { payload } = parseFrame(
      encodeUpdate(new Float32Array(2000).fill(1), { ...META, density: 0.5, bits: 4 }),
    );
    expect(new DataView(payload.buffer, payload.byteOffset).getUint16(2, true)).toBe(DEFAULT_BLOCK_SIZE);
  });

  it("refuses non-finite values and invalid options with a RangeError", () => {
    const ok = new Float32Array(4);
    expect(() => encodeUpdate(Float32Array.of(1, Number.NaN), META)).toThrow(RangeError);
    expect(() => encodeUpdate(new Float32Array(0), META)).toThrow(RangeError);
    expect(() => encodeUpdate(ok, { ...META, density: 0 })).toThrow(RangeError);
    expect(() => encodeUpdate(ok, { ...META, density: 1.5 })).toThrow(RangeError);
    expect(() => encodeUpdate(ok, { ...META, bits: 12 as ValueBits })).toThrow(RangeError);
    expect(() => encodeUpdate(ok, { ...META, bits: 8, blockSize: 0 })).toThrow(RangeError);
    expect(() => encodeUpdate(ok, { ...META, bits: 8, blockSize: 65536 })).toThrow(RangeError);
  });

  it("refuses values so close to the f32 limit that their top level would round to ∞", () => {
    expect(() => encodeUpdate(Float32Array.of(3.4028235e38, 1), { ...META, bits: 8, blockSize: 1 })).toThrow(
      RangeError,
    );
  });
});

describe("encodeExact", () => {
  const same = (a: Float32Array, b: Float32Array) =>
    expect(Array.from(new Uint32Array(a.buffer))).toEqual(Array.from(new Uint32Array(b.buffer)));

  it("sends a mostly-zero vector as sparse-f32 that decodes to it bit for bit", () => {
    const values = new Float32Array(1000);
    values[3] = 1.5;
    values[999] = -3.4e38;
    values[500] = 1e-45;
    const { codec, payload } = encodeExact(values);
    expect(codec).toBe(Codec.SparseF32);
    expect(payload.byteLength).toBeLessThan(4 * 1000);
    same(decodeToDense(codec, payload, 1000), values);
  });

  it("sends a dense vector as dense-f32, the same bytes as its values", () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => i - 31.5);
    const { codec, payload } = encodeExact(values);
    expect(codec).toBe(Codec.DenseF32);
    same(decodeToDense(codec, payload, 64), values);
  });

  it("sends all zeros as dense-f32 zeros", () => {
    const { codec, payload } = encodeExact(new Float32Array(5));
    expect(codec).toBe(Codec.DenseF32);
    same(decodeToDense(codec, payload, 5), new Float32Array(5));
  });
});
