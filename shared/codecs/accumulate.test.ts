import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { weightedSumInto } from "../kernels/reference";
import { parseFrame } from "../protocol/frame";
import { accumulateUpdate } from "./accumulate";
import { decodeToDense } from "./decoder";
import { encodeUpdate, type ValueBits } from "./encoder";
import { Codec, IndexCoding } from "./ids";
import { SeededRandom } from "./random";
import { f32Bytes, META, reasonOf, sparsePayload } from "./test-helpers";

const cases = fc.integer({ min: 1, max: 300 }).chain((dim) =>
  fc.record({
    values: fc.float32Array({ minLength: dim, maxLength: dim, min: -1e6, max: 1e6, noNaN: true }),
    acc: fc.float32Array({ minLength: dim, maxLength: dim, min: 1, max: 1e6, noNaN: true }),
    reference: fc.float32Array({ minLength: dim, maxLength: dim, min: -1e3, max: 1e3, noNaN: true }),
    density: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
    bits: fc.constantFrom<ValueBits>(32, 16, 8, 4),
    scale: fc.double({ min: 0.001, max: 1000, noNaN: true }),
  }),
);

describe("accumulateUpdate", () => {
  it("adds scale × the decoded update exactly as the dense kernel does, and returns its ‖v‖² and ⟨v, reference⟩", () => {
    fc.assert(
      fc.property(cases, ({ values, acc, reference, density, bits, scale }) => {
        // Prepare
        const { header, payload } = parseFrame(
          encodeUpdate(values, { ...META, density, bits, random: new SeededRandom(1).next }),
        );
        const decoded = decodeToDense(header.codec, payload, values.length);
        const expected = acc.slice();
        weightedSumInto(expected, decoded, scale);

        // Execute
        const stats = accumulateUpdate(acc, { codec: header.codec, payload }, scale, reference);

        // Assert: bit for bit (acc starts ≥ 1, so no signed zero can differ).
        expect(acc).toEqual(expected);
        let squaredNorm = 0;
        let dot = 0;
        decoded.forEach((v, i) => {
          squaredNorm += v * v;
          dot += v * reference[i]!;
        });
        expect(stats.squaredNorm).toBeCloseTo(squaredNorm, 6);
        expect(stats.dot).toBeCloseTo(dot, 6);
      }),
    );
  });

  it("sums ‖v‖² and ⟨v, reference⟩ in f64, in index order, and reports dot 0 without a reference", () => {
    const payload = sparsePayload({ coding: IndexCoding.Varint, nnz: 2 }, f32Bytes(3, -4), [1, 0]); // indices 1, 2
    const acc = new Float32Array(5);
    const reference = Float32Array.of(9, 2, 1, 7, 7);
    expect(accumulateUpdate(acc, { codec: Codec.SparseF32, payload }, 0.5, reference)).toEqual({
      squaredNorm: 25,
      dot: 2,
    });
    expect(Array.from(acc)).toEqual([0, 1.5, -2, 0, 0]);
    expect(accumulateUpdate(acc, { codec: Codec.SparseF32, payload }, 1).dot).toBe(0);
  });

  it("leaves the accumulator untouched when the payload is refused, even if only its last part is bad", () => {
    // Prepare: index 0 is fine; index 2 is NaN, found only after index 0 was decoded.
    const payload = sparsePayload({ coding: IndexCoding.Varint, nnz: 2 }, f32Bytes(5, Number.NaN), [0, 1]);
    const acc = Float32Array.of(1, 2, 3, 4, 5);
    // Execute
    const reason = reasonOf(() => accumulateUpdate(acc, { codec: Codec.SparseF32, payload }, 1));
    // Assert
    expect(reason).toBe("non_finite_value");
    expect(Array.from(acc)).toEqual([1, 2, 3, 4, 5]);
  });

  it("refuses a non-finite scale or a reference of the wrong length with a RangeError", () => {
    const update = { codec: Codec.DenseF32, payload: f32Bytes(1) };
    expect(() => accumulateUpdate(new Float32Array(1), update, Number.NaN)).toThrow(RangeError);
    expect(() => accumulateUpdate(new Float32Array(1), update, 1e39)).toThrow(RangeError);
    expect(() => accumulateUpdate(new Float32Array(1), update, 1, new Float32Array(2))).toThrow(RangeError);
  });
});
