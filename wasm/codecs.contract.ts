/**
 * The accumulate contract (shared/codecs/accumulate.ts, docs/codecs.md#the-accumulate-contract)
 * that every KernelBackend's Accumulator satisfies, with shared/codecs' accumulateUpdate
 * on a plain Float32Array as the oracle. Run against each backend from wasm/kernels.test.ts.
 *
 * Sums are compared bit for bit (Object.is per element). ‖v‖² and ⟨v, reference⟩ of a
 * sparse payload too: every backend sums them in f64 in index order. A dense payload's
 * may be summed in another order (the WASM kernel uses eight lanes), so they are within
 * the error bound of two summation orders of n exact products: 2n·2⁻⁵³·Σ|terms| (Higham,
 * "Accuracy and Stability of Numerical Algorithms", §4.2).
 *
 * FUZZ_RUNS sets the cases per property (./fuzz-payloads.ts); docs/benchmarks.md#fuzzing
 * has the long-run command and its last result.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accumulateUpdate, type EncodedUpdate, type UpdateStats } from "../shared/codecs/accumulate";
import { CodecError } from "../shared/codecs/codec-error";
import { decodeToDense } from "../shared/codecs/decoder";
import { inflatePayload } from "../shared/codecs/deflate";
import { encodeUpdate, type ValueBits } from "../shared/codecs/encoder";
import { DEFLATED, dense, GOLDEN } from "../shared/codecs/golden-vectors";
import { Codec, codecInfo, IndexCoding } from "../shared/codecs/ids";
import { SeededRandom } from "../shared/codecs/random";
import { f32Bytes, META, sparsePayload } from "../shared/codecs/test-helpers";
import type { KernelBackend } from "../shared/kernels/accumulator";
import { weightedSumInto } from "../shared/kernels/reference";
import { fromHex, parseFrame } from "../shared/protocol/frame";
import { FUZZ_DIMS, FUZZ_RUNS, fuzzedPayloads } from "./fuzz-payloads";
import { expectSameFloats } from "./same-floats";

/** Large enough to reach every exponent that matters, small enough that no quantized level overflows. */
const LARGE = Math.fround(1e30);
const TIMEOUT = Math.max(30_000, FUZZ_RUNS * 30);

type Outcome = { ok: true; stats: UpdateStats } | { ok: false; reason: string; message: string };

function attempt(fn: () => UpdateStats): Outcome {
  try {
    return { ok: true, stats: fn() };
  } catch (error) {
    if (error instanceof CodecError) return { ok: false, reason: error.reason, message: error.message };
    throw error;
  }
}

/** Both statistics as the contract allows: identical for sparse codecs, within the summation bound for dense ones. */
function expectSameStats(
  actual: UpdateStats,
  expected: UpdateStats,
  codec: number,
  decoded: Float32Array,
  reference?: Float32Array,
): void {
  if (codecInfo(codec)?.sparse) {
    expect(actual).toEqual(expected);
    return;
  }
  let norm = 0;
  let dot = 0;
  for (let i = 0; i < decoded.length; i++) {
    norm += decoded[i]! * decoded[i]!;
    dot += Math.abs(decoded[i]! * (reference?.[i] ?? 0));
  }
  const bound = 2 * decoded.length * 2 ** -53;
  expect(Math.abs(actual.squaredNorm - expected.squaredNorm)).toBeLessThanOrEqual(bound * norm);
  expect(Math.abs(actual.dot - expected.dot)).toBeLessThanOrEqual(bound * dot);
}

/**
 * Runs update through the backend and the oracle from the same starting sum, and asserts
 * they agree: the same refusal (reason and message) with the sum unchanged, or the same
 * sum and statistics.
 */
function expectAsOracle(
  backend: KernelBackend,
  dim: number,
  update: EncodedUpdate,
  scale: number,
  start?: Float32Array,
  reference?: Float32Array,
): Outcome {
  const acc = backend.createAccumulator(dim);
  const oracle = new Float32Array(dim);
  if (start) {
    acc.addWeighted(start, 1);
    weightedSumInto(oracle, start, 1);
  }
  const before = oracle.slice();
  const expected = attempt(() => accumulateUpdate(oracle, update, scale, reference));
  const actual = attempt(() => acc.accumulate(update, scale, reference));
  expectSameFloats(acc.snapshot(), oracle);
  if (!expected.ok || !actual.ok) {
    expect(actual).toEqual(expected);
    expectSameFloats(acc.snapshot(), before);
    return actual;
  }
  expectSameStats(
    actual.stats,
    expected.stats,
    update.codec,
    decodeToDense(update.codec, update.payload, dim),
    reference,
  );
  return actual;
}

const frameUpdate = (frame: Uint8Array): EncodedUpdate => {
  const { header, payload } = parseFrame(frame);
  return { codec: header.codec, payload };
};

// ---------------------------------------------------------------------------------------
// Refusals: one payload per reason the kernels can give, over every section that can give it.

const q8Levels = [0x40, 0x81, 0x20, 0xff, 0x7f]; // 64, −127, 32, −1, 127
const q4Levels = [0x94, 0xf2, 0x07]; // 4, −7, 2, −1, 7 (and a 0 padding nibble)
const scales = f32Bytes(1 / 128, 1 / 256);
const varint = [1, 2, 0, 7, 8]; // indices 1, 4, 5, 13, 22 of dim 24
const rice = [0x86, 0xfb, 0x00];
const bitmap = [0x32, 0x20, 0x40];
/** A sparse-q8 payload of the five golden values with these index bytes and header fields. */
const q8 = (
  index: number[],
  header: Partial<{ coding: number; rice: number; blockSize: number; nnz: number }> = {},
) => {
  const nnz = header.nnz ?? 5;
  const values = nnz === 5 ? [...scales, ...q8Levels] : [...f32Bytes(1 / 128), ...q8Levels.slice(0, nnz)];
  return sparsePayload({ coding: IndexCoding.Varint, blockSize: 4, nnz, ...header }, values, index);
};

interface Refusal {
  name: string;
  codec: number;
  payload: Uint8Array;
  reason: string;
  /** Default 24. */
  dim?: number;
}

const sparse = (codec: number, name: string, reason: string, payload: Uint8Array, dim?: number): Refusal => ({
  name,
  codec,
  payload,
  reason,
  dim,
});

const REFUSALS: Refusal[] = [
  sparse(6, "codec 6", "unknown_codec", new Uint8Array(96)),
  sparse(Codec.DenseF32, "a short dense-f32 payload", "truncated", new Uint8Array(95)),
  sparse(Codec.DenseF16, "a long dense-f16 payload", "trailing_bytes", new Uint8Array(49)),
  sparse(Codec.SparseQ8, "a sparse payload shorter than its header", "truncated", new Uint8Array(7)),
  sparse(Codec.SparseQ8, "a sparse payload larger than dense-f32", "larger_than_dense", new Uint8Array(97)),
  sparse(Codec.SparseQ8, "nnz above dim", "count_mismatch", q8(varint, { nnz: 25 })),
  sparse(Codec.SparseQ8, "index coding 3", "bad_index_coding", q8(varint, { coding: 3 })),
  sparse(
    Codec.SparseQ8,
    "a Rice parameter with 2^k > dim",
    "bad_rice_parameter",
    q8(rice, { coding: 2, rice: 5 }),
  ),
  sparse(
    Codec.SparseQ8,
    "a Rice parameter for varint indices",
    "bad_rice_parameter",
    q8(varint, { rice: 1 }),
  ),
  sparse(Codec.SparseQ8, "block size 0 for q8", "bad_block_size", q8(varint, { blockSize: 0 })),
  sparse(
    Codec.SparseF32,
    "block size 4 for f32",
    "bad_block_size",
    sparsePayload({ coding: 0, blockSize: 4, nnz: 1 }, f32Bytes(1), [0]),
  ),
  sparse(Codec.SparseQ8, "a value section past the end", "truncated", q8([]).subarray(0, 15)),
  sparse(Codec.SparseQ8, "varint indices shorter than nnz bytes", "truncated", q8([1, 2, 0, 7])),
  sparse(
    Codec.SparseQ8,
    "varint indices longer than 5·nnz bytes",
    "trailing_bytes",
    q8(new Array(26).fill(0)),
  ),
  sparse(Codec.SparseQ8, "a varint running past the end", "truncated", q8([1, 2, 0, 7, 0x88])),
  sparse(Codec.SparseQ8, "a byte after the last varint", "trailing_bytes", q8([...varint, 0])),
  sparse(Codec.SparseQ8, "an index at dim (varint)", "index_out_of_range", q8([1, 2, 0, 7, 10])),
  sparse(
    Codec.SparseQ8,
    "an index ≥ 2³² (varint)",
    "index_out_of_range",
    q8([1, 2, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  ),
  sparse(
    Codec.SparseQ8,
    "a 6-byte varint",
    "varint_overflow",
    q8([1, 2, 0, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0]),
  ),
  sparse(
    Codec.SparseQ8,
    "a 5-byte varint ≥ 2³²",
    "varint_overflow",
    q8([1, 2, 0, 7, 0x80, 0x80, 0x80, 0x80, 0x10]),
  ),
  sparse(Codec.SparseQ8, "an overlong varint", "varint_overlong", q8([1, 2, 0, 7, 0x88, 0x00])),
  sparse(
    Codec.SparseQ8,
    "an overlong 5-byte varint",
    "varint_overlong",
    q8([1, 2, 0, 7, 0x88, 0x80, 0x80, 0x80, 0x00]),
  ),
  sparse(Codec.SparseQ8, "a bitmap bit past dim", "index_out_of_range", q8(bitmap, { coding: 1 }), 20),
  sparse(
    Codec.SparseQ8,
    "a bitmap with more bits set than nnz",
    "count_mismatch",
    q8([0x32, 0x20, 0xc0], { coding: 1 }),
  ),
  sparse(
    Codec.SparseQ8,
    "a bitmap with fewer bits set than nnz",
    "count_mismatch",
    q8([0x32, 0x20, 0x00], { coding: 1 }),
  ),
  sparse(Codec.SparseQ8, "a bitmap short of ⌈dim/8⌉ bytes", "truncated", q8([0x32, 0x20], { coding: 1 })),
  sparse(
    Codec.SparseQ8,
    "a Rice quotient reaching dim",
    "index_out_of_range",
    q8([0x86, 0xfb, 0xff], { coding: 2, rice: 1 }),
  ),
  sparse(
    Codec.SparseQ8,
    "a Rice remainder reaching dim",
    "index_out_of_range",
    q8([0x86, 0xfb, 0x02], { coding: 2, rice: 1 }),
    23,
  ),
  sparse(
    Codec.SparseQ8,
    "nonzero Rice padding",
    "nonzero_padding",
    q8([0x86, 0xfb, 0x80], { coding: 2, rice: 1 }),
  ),
  sparse(
    Codec.SparseQ8,
    "Rice section bytes past its bound",
    "trailing_bytes",
    q8([0x86, 0xfb, 0, 0], { coding: 2, rice: 1 }),
  ),
  sparse(
    Codec.SparseQ8,
    "a Rice code running past the end",
    "truncated",
    q8([0xff, 0xff], { coding: 2, rice: 1, nnz: 1 }),
    300,
  ),
  sparse(
    Codec.SparseQ8,
    "a byte after the last Rice code",
    "trailing_bytes",
    q8([0, 0], { coding: 2, rice: 1, nnz: 1 }),
    300,
  ),
  sparse(
    Codec.SparseQ8,
    "a negative zero scale",
    "bad_scale",
    sparsePayload({ coding: 0, blockSize: 4, nnz: 5 }, [...f32Bytes(1, -0), ...q8Levels], varint),
  ),
  sparse(
    Codec.SparseQ8,
    "a NaN scale in the last block, with a level −128 in the first",
    "bad_scale",
    sparsePayload(
      { coding: 0, blockSize: 4, nnz: 5 },
      [...f32Bytes(1, Number.NaN), 0x80, ...q8Levels.slice(1)],
      varint,
    ),
  ),
  sparse(
    Codec.SparseQ8,
    "the q8 level −128",
    "level_out_of_range",
    sparsePayload({ coding: 0, blockSize: 4, nnz: 5 }, [...scales, ...q8Levels.slice(0, 4), 0x80], varint),
  ),
  sparse(
    Codec.SparseQ4,
    "the q4 level −8",
    "level_out_of_range",
    sparsePayload({ coding: 0, blockSize: 4, nnz: 5 }, [...scales, 0x94, 0x82, 0x07], varint),
  ),
  sparse(
    Codec.SparseQ4,
    "a nonzero q4 padding nibble",
    "nonzero_padding",
    sparsePayload({ coding: 0, blockSize: 4, nnz: 5 }, [...scales, ...q4Levels.slice(0, 2), 0x87], varint),
  ),
  sparse(
    Codec.SparseQ8,
    "a level × scale overflowing f32",
    "non_finite_value",
    sparsePayload({ coding: 0, blockSize: 4, nnz: 5 }, [...f32Bytes(1, 3e38), ...q8Levels], varint),
  ),
  sparse(
    Codec.DenseF32,
    "a NaN in dense-f32",
    "non_finite_value",
    f32Bytes(...new Array(23).fill(1), Number.NaN),
  ),
  sparse(
    Codec.DenseF16,
    "an infinite half in dense-f16",
    "non_finite_value",
    Uint8Array.from({ length: 48 }, (_, i) => (i === 41 ? 0x7c : 0)),
  ),
  sparse(
    Codec.SparseF32,
    "an infinite sparse-f32 value",
    "non_finite_value",
    sparsePayload({ coding: 0, nnz: 1 }, f32Bytes(Number.NEGATIVE_INFINITY), [3]),
  ),
  sparse(
    Codec.SparseF32,
    "an index past dim before a NaN value",
    "index_out_of_range",
    sparsePayload({ coding: 0, nnz: 2 }, f32Bytes(1, Number.NaN), [3, 20]),
  ),
];

export function describeCodecContract(backend: KernelBackend): void {
  describe(`Accumulate contract: ${backend.name}`, () => {
    it.each(GOLDEN)(
      "$name: golden bytes add exactly their listed values, scaled",
      ({ dim, hex, decoded }) => {
        const update = frameUpdate(fromHex(hex, hex.length / 2));
        const reference = Float32Array.from({ length: dim }, (_, i) => i - 3);
        const acc = backend.createAccumulator(dim);
        const stats = acc.accumulate(update, 2, reference);
        const values = dense(dim, decoded);
        expectSameFloats(
          acc.snapshot(),
          values.map((v) => 2 * v),
        );
        expect(stats).toEqual(accumulateUpdate(new Float32Array(dim), update, 2, reference));
        expectAsOracle(backend, dim, update, 0.3, values, reference);
      },
    );

    it.each(GOLDEN)(
      "$name: measure returns accumulate's ‖v‖² and ⟨v, reference⟩ and leaves every bit of the sum as it was",
      ({ dim, hex }) => {
        const update = frameUpdate(fromHex(hex, hex.length / 2));
        const reference = Float32Array.from({ length: dim }, (_, i) => i - 3);
        // Zeros, a subnormal and an extreme: x + ±0 must be x to the bit.
        const start = Float32Array.from({ length: dim }, (_, i) => [0, 1e-45, -3.4e38, 7, -2.5][i % 5]!);
        const acc = backend.createAccumulator(dim);
        acc.addWeighted(start, 1);
        const before = acc.snapshot();
        const stats = acc.measure(update, reference);
        expectSameFloats(acc.snapshot(), before);
        expect(stats).toEqual(accumulateUpdate(new Float32Array(dim), update, 1, reference));
      },
    );

    it("a deflated golden frame, once inflated, adds its listed values", async () => {
      const { header, payload } = await inflatePayload(
        parseFrame(fromHex(DEFLATED.hex, DEFLATED.hex.length / 2)),
      );
      const acc = backend.createAccumulator(16);
      acc.accumulate({ codec: header.codec, payload }, 1);
      expectSameFloats(acc.snapshot(), dense(16, DEFLATED.decoded));
    });

    it(
      "every codec × index coding × value coding: the oracle's sum bit for bit, its ‖v‖² and ⟨v, reference⟩ (property)",
      () => {
        const scenario = fc.integer({ min: 1, max: 700 }).chain((dim) =>
          fc.record({
            dim: fc.constant(dim),
            values: fc.float32Array({ minLength: dim, maxLength: dim, min: -LARGE, max: LARGE, noNaN: true }),
            start: fc.float32Array({ minLength: dim, maxLength: dim, noNaN: true, noDefaultInfinity: true }),
            reference: fc.option(
              fc.float32Array({ minLength: dim, maxLength: dim, min: -1e6, max: 1e6, noNaN: true }),
              {
                nil: undefined,
              },
            ),
            density: fc.option(fc.double({ min: 0.001, max: 1, noNaN: true }), { nil: undefined }),
            bits: fc.constantFrom<ValueBits>(32, 16, 8, 4),
            indexCoding: fc.constantFrom(IndexCoding.Varint, IndexCoding.Bitmap, IndexCoding.Rice),
            blockSize: fc.integer({ min: 1, max: 600 }),
            scale: fc.float({ noNaN: true, noDefaultInfinity: true }),
            seed: fc.nat(),
          }),
        );
        fc.assert(
          fc.property(
            scenario,
            ({ dim, values, start, reference, density, bits, indexCoding, blockSize, scale, seed }) => {
              const options = {
                ...META,
                density,
                bits,
                indexCoding,
                blockSize,
                random: new SeededRandom(seed).next,
              };
              const outcome = expectAsOracle(
                backend,
                dim,
                frameUpdate(encodeUpdate(values, options)),
                scale,
                start,
                reference,
              );
              expect(outcome.ok).toBe(true);
            },
          ),
          { numRuns: FUZZ_RUNS },
        );
      },
      TIMEOUT,
    );

    it.each(REFUSALS)(
      "refuses $name as $reason, with the oracle's message, leaving the sum unchanged",
      (refusal) => {
        const { codec, payload, reason, dim = 24 } = refusal;
        const start = Float32Array.from({ length: dim }, (_, i) => i);
        const outcome = expectAsOracle(backend, dim, { codec, payload }, 1, start);
        expect(outcome.ok ? "ok" : outcome.reason).toBe(reason);
      },
    );

    it(
      "random and mutated payloads: the oracle's decision and reason, the sum untouched on refusal (fuzz)",
      () => {
        fc.assert(
          fc.property(
            fuzzedPayloads(),
            fc.constantFrom(...FUZZ_DIMS),
            fc.boolean(),
            (update, dim, withReference) => {
              const reference = withReference
                ? Float32Array.from({ length: dim }, (_, i) => i % 5)
                : undefined;
              expectAsOracle(
                backend,
                dim,
                update,
                0.75,
                Float32Array.from({ length: dim }, (_, i) => i / 8),
                reference,
              );
            },
          ),
          { numRuns: FUZZ_RUNS },
        );
      },
      TIMEOUT,
    );

    it("refuses a non-finite scale or a reference of the wrong length with a RangeError, the sum unchanged", () => {
      const acc = backend.createAccumulator(3);
      acc.addWeighted(Float32Array.of(1, 2, 3), 1);
      const update = { codec: Codec.DenseF32, payload: f32Bytes(1, 1, 1) };
      expect(() => acc.accumulate(update, Number.NaN)).toThrow(RangeError);
      expect(() => acc.accumulate(update, 1e39)).toThrow(/scale must be a finite f32/);
      expect(() => acc.accumulate(update, 1, new Float32Array(4))).toThrow(/reference length 4/);
      expectSameFloats(acc.snapshot(), Float32Array.of(1, 2, 3));
    });

    it("keeps the sum across a sparse payload, a reference and a long payload at a dim past one memory page", () => {
      const dim = 2 ** 16 + 5;
      const values = Float32Array.from({ length: dim }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
      const reference = values.map((v) => v * 2);
      const acc = backend.createAccumulator(dim);
      const oracle = new Float32Array(dim);
      const steps = [
        { options: { bits: 8 as const, density: 0.01 }, scale: 3, reference: undefined },
        { options: { bits: 32 as const }, scale: 1, reference },
        {
          options: { bits: 4 as const, density: 0.3, indexCoding: IndexCoding.Bitmap },
          scale: -2,
          reference,
        },
      ];
      for (const step of steps) {
        const update = frameUpdate(
          encodeUpdate(values, { ...META, ...step.options, random: new SeededRandom(1).next }),
        );
        const expected = accumulateUpdate(oracle, update, step.scale, step.reference);
        const decoded = decodeToDense(update.codec, update.payload, dim);
        expectSameStats(
          acc.accumulate(update, step.scale, step.reference),
          expected,
          update.codec,
          decoded,
          step.reference,
        );
      }
      const tooLong = { codec: Codec.SparseF32, payload: new Uint8Array(4 * dim + 1) };
      expect(attempt(() => acc.accumulate(tooLong, 1))).toMatchObject({
        ok: false,
        reason: "larger_than_dense",
      });
      expectSameFloats(acc.snapshot(), oracle);
    });
  });
}
