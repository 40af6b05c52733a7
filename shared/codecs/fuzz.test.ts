/**
 * Fuzzing the server's decode path — parseFrame, inflatePayload, accumulateUpdate — with
 * random and mutated frames. Every outcome must be a valid decode or a FedgeError (never a
 * RangeError or TypeError from reading past a buffer); after an error the accumulator is
 * unchanged; the canaries just past the accumulator never change; and a payload decodes
 * the same whether or not other bytes follow it in memory, so nothing is read past its end.
 * FUZZ_RUNS (default 300 per property) sets the number of cases; see docs/codecs.md#fuzzing.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { FedgeError } from "../errors";
import { weightedSumInto } from "../kernels/reference";
import { encodeFrame, FRAME_HEADER_BYTES, parseFrame } from "../protocol/frame";
import { accumulateUpdate } from "./accumulate";
import { decodeToDense } from "./decoder";
import { deflateFrame, inflatePayload } from "./deflate";
import { encodeUpdate, type ValueBits } from "./encoder";
import { FrameFlag, IndexCoding } from "./ids";
import { SeededRandom } from "./random";
import { META } from "./test-helpers";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const RUNS = Number(env.FUZZ_RUNS ?? 300);
const TIMEOUT = Math.max(30_000, RUNS * 20);
const CANARIES = 8;
const CANARY = 12345.5;

/** Valid frames of every codec and index coding (and deflated ones), small enough that mutations hit structure. */
let corpus: Uint8Array[] = [];

beforeAll(async () => {
  const random = new SeededRandom(0xf022);
  for (const dim of [1, 7, 24, 64, 200]) {
    const values = Float32Array.from({ length: dim }, () => (random.next() - 0.5) * 4);
    for (const bits of [32, 16, 8, 4] as ValueBits[]) {
      corpus.push(encodeUpdate(values, { ...META, bits: bits >= 16 ? bits : 8 }));
      for (const indexCoding of [IndexCoding.Varint, IndexCoding.Bitmap, IndexCoding.Rice]) {
        for (const density of [0.05, 0.3]) {
          corpus.push(
            encodeUpdate(values, { ...META, density, bits, blockSize: 3, indexCoding, random: random.next }),
          );
        }
      }
    }
    corpus.push(await deflateFrame(encodeUpdate(new Float32Array(dim * 8).fill(0.5), META)));
    corpus.push(await deflateFrame(encodeUpdate(values.map(Math.round), { ...META, density: 0.5, bits: 8 })));
  }
  corpus = corpus.filter(
    (f, i, all) => all.findIndex((g) => g.length === f.length && g.every((b, j) => b === f[j])) === i,
  );
});

type Outcome = { ok: true; acc: Float32Array } | { ok: false; reason: string };

/**
 * Runs bytes through the server's path into an accumulator of `dim` values followed by
 * canaries, asserting the invariants above. A frame whose dim differs is refused by the
 * route (dimension_mismatch) before decoding, as here.
 */
async function serverPath(bytes: Uint8Array, dim: number, trailing: Uint8Array): Promise<Outcome> {
  const buffer = new Float32Array(dim + CANARIES).fill(CANARY);
  for (let i = 0; i < dim; i++) buffer[i] = (i % 7) - 3;
  const acc = buffer.subarray(0, dim);
  const before = acc.slice();
  let outcome: Outcome;
  try {
    const parsed = parseFrame(bytes);
    if (parsed.header.dim !== dim) return { ok: false, reason: "dimension_mismatch" };
    const { header, payload } = await inflatePayload(parsed);
    // The same payload followed by other bytes must decode the same: nothing is read past its end.
    const padded = new Uint8Array(payload.length + trailing.length);
    padded.set(payload);
    padded.set(trailing, payload.length);
    const embedded = padded.subarray(0, payload.length);
    const expected = before.slice();
    const decoded = decodeToDense(header.codec, payload, dim);
    weightedSumInto(expected, decoded, header.sampleWeight);
    accumulateUpdate(acc, { codec: header.codec, payload: embedded }, header.sampleWeight, decoded);
    expect(acc).toEqual(expected);
    outcome = { ok: true, acc: acc.slice() };
  } catch (error) {
    if (!(error instanceof FedgeError)) throw error;
    expect(acc).toEqual(before);
    outcome = { ok: false, reason: error.message.split(":")[0]! };
  }
  expect(Array.from(buffer.subarray(dim))).toEqual(new Array(CANARIES).fill(CANARY));
  return outcome;
}

const DIM_AT = 8;
const NNZ_AT = 12;
const LENGTH_AT = 44;
const P = FRAME_HEADER_BYTES;

/** The frame's payload length field, rewritten to match its bytes (so the mutation reaches the codec). */
function fixLength(frame: Uint8Array): Uint8Array {
  if (frame.length >= P)
    new DataView(frame.buffer, frame.byteOffset).setUint32(LENGTH_AT, frame.length - P, true);
  return frame;
}

type Mutation = (frame: Uint8Array) => Uint8Array;

const u32 = fc.oneof(
  fc.nat({ max: 300 }),
  fc.nat({ max: 0xffffffff }),
  fc.constantFrom(0xffffffff, 0x80000000),
);
const specialF32 = fc.constantFrom(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  -0,
  0,
  1e-45,
  3.4e38,
  1,
);
const hugeVarint = fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 12 });

/** Mutations that keep the header valid so they reach the payload, and ones that do not. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat({ max: 7 })).map(
    ([at, bit]): Mutation =>
      (f) => {
        const g = f.slice();
        const i = P + (at % Math.max(1, g.length - P));
        if (i < g.length) g[i] = g[i]! ^ (1 << bit);
        return g;
      },
  ),
  fc.tuple(fc.nat(), fc.boolean()).map(
    ([cut, fix]): Mutation =>
      (f) => {
        const g = f.slice(0, cut % (f.length + 1));
        return fix ? fixLength(g) : g;
      },
  ),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.boolean()).map(
    ([extra, fix]): Mutation =>
      (f) => {
        const g = new Uint8Array(f.length + extra.length);
        g.set(f);
        g.set(extra, f.length);
        return fix ? fixLength(g) : g;
      },
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(
    ([at, value]): Mutation =>
      (f) => {
        const g = f.slice();
        if (g.length > 0) g[at % g.length] = value;
        return g;
      },
  ),
  // Lying counts: the header's nnz, the payload's nnz, or both.
  fc.tuple(u32, fc.constantFrom("header", "payload", "both")).map(
    ([n, where]): Mutation =>
      (f) => {
        const g = f.slice();
        const view = new DataView(g.buffer);
        if (where !== "payload" && g.length >= NNZ_AT + 4) view.setUint32(NNZ_AT, n, true);
        if (where !== "header" && g.length >= P + 8) view.setUint32(P + 4, n, true);
        return g;
      },
  ),
  // Sparse header fields: index coding, Rice parameter, block size.
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 0xffff })).map(
    ([coding, k, block]): Mutation =>
      (f) => {
        const g = f.slice();
        if (g.length < P + 4) return g;
        const view = new DataView(g.buffer);
        view.setUint8(P, coding % 4);
        view.setUint8(P + 1, k % 3 === 0 ? k : k % 28);
        view.setUint16(P + 2, block % 3 === 0 ? block : block % 9, true);
        return g;
      },
  ),
  // A special value written where a block scale (or any f32) may sit.
  fc.tuple(fc.nat(), specialF32).map(
    ([at, x]): Mutation =>
      (f) => {
        const g = f.slice();
        const i = P + 8 + 4 * (at % Math.max(1, Math.floor((g.length - P - 8) / 4)));
        if (i + 4 <= g.length) new DataView(g.buffer).setFloat32(i, x, true);
        return g;
      },
  ),
  // Huge or overlong varints spliced into the tail (the index section), length fixed.
  fc.tuple(hugeVarint, fc.nat()).map(
    ([bytes, keep]): Mutation =>
      (f) => {
        const cut = P + 8 + (keep % Math.max(1, f.length - P - 7));
        const g = new Uint8Array(Math.min(cut, f.length) + bytes.length);
        g.set(f.subarray(0, Math.min(cut, f.length)));
        g.set(bytes, Math.min(cut, f.length));
        return fixLength(g);
      },
  ),
  // Codec, flags (deflate on or off) and dim rewritten.
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.boolean(), fc.nat({ max: 300 })).map(
    ([codec, deflate, dim]): Mutation =>
      (f) => {
        const g = f.slice();
        if (g.length < P) return g;
        const view = new DataView(g.buffer);
        view.setUint8(5, codec);
        view.setUint16(6, deflate ? FrameFlag.Deflate : 0, true);
        if (dim % 5 === 0) view.setUint32(DIM_AT, dim, true);
        return g;
      },
  ),
);

describe("fuzzing the decode path", () => {
  it(
    "mutated valid frames are decoded correctly or refused with a FedgeError, leaving the accumulator untouched",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          fc.uint8Array({ maxLength: 8 }),
          async (pick, mutations, trailing) => {
            const original = corpus[pick % corpus.length]!;
            const dim = parseFrame(original).header.dim;
            const frame = mutations.reduce((f, m) => m(f), original);
            await serverPath(frame, dim, trailing);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    "random payloads behind a valid header are refused with a FedgeError or decoded, never crash",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 5 }),
          fc.boolean(),
          fc.integer({ min: 1, max: 64 }),
          u32,
          fc.uint8Array({ maxLength: 300 }),
          async (codec, deflate, dim, nnz, payload) => {
            const flags = deflate ? FrameFlag.Deflate : 0;
            const frame = encodeFrame({ codec: codec as 0, flags, dim, nnz: nnz % (dim + 2) }, payload, META);
            await serverPath(frame, dim, Uint8Array.of(0xff, 0x80));
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it("random bytes are refused with a FedgeError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const outcome = await serverPath(bytes, 4, new Uint8Array(0));
        expect(outcome.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it("the mutations reach every codec check: each reason is produced at least once", async () => {
    // Prepare: a sparse-q4 frame (5 of 24 values: indices 0, 1, 2, 22, 23; two blocks of 4
    // and 1) and one targeted mutation per reason, so the properties above reach each check.
    const values = Float32Array.from({ length: 24 }, (_, i) => i - 11.5);
    const options = { ...META, density: 5 / 24, bits: 4 as const, blockSize: 4, random: () => 0.5 };
    const q4 = encodeUpdate(values, { ...options, indexCoding: IndexCoding.Varint });
    const scales = P + 8;
    const levels = scales + 8;
    const indices = levels + 3; // 5 varint gaps: 0, 0, 0, 19, 0
    expect(q4.length).toBe(indices + 5);
    const set = (f: Uint8Array, at: number, bytes: number[]) => {
      const g = f.slice();
      g.set(bytes, at);
      return g;
    };
    const concat = (f: Uint8Array, bytes: number[]) => fixLength(Uint8Array.from([...f, ...bytes]));
    const mutants = {
      "unknown codec 9": set(q4, 5, [9]),
      count_mismatch: set(q4, NNZ_AT, [6]),
      bad_index_coding: set(q4, P, [3]),
      bad_rice_parameter: set(q4, P + 1, [1]),
      bad_block_size: set(q4, P + 2, [0, 0]),
      bad_scale: set(q4, scales, [0, 0, 0, 0x80]), // −0
      level_out_of_range: set(q4, levels, [0x88]), // −8, −8
      nonzero_padding: set(q4, levels + 2, [0xf7]), // the unused high nibble
      index_out_of_range: set(q4, indices, [30]),
      varint_overflow: concat(q4.subarray(0, indices), [0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0, 0]),
      varint_overlong: set(q4, indices + 3, [0x80, 0x00]),
      truncated: fixLength(q4.slice(0, -2)),
      trailing_bytes: concat(q4, [0]),
      larger_than_dense: concat(q4, new Array(80).fill(0)),
      inflate_failed: set(q4, 6, [FrameFlag.Deflate]),
      non_finite_value: set(set(q4, scales, [0xff, 0xff, 0x7f, 0x7f]), levels, [0x77]), // 7 × f32 max
    };
    // Execute
    const reasons: Record<string, string> = {};
    for (const [expected, frame] of Object.entries(mutants)) {
      const outcome = await serverPath(frame, 24, Uint8Array.of(1, 2, 3));
      reasons[expected] = outcome.ok ? "ok" : outcome.reason;
    }
    // Assert
    expect(reasons).toEqual(Object.fromEntries(Object.keys(mutants).map((r) => [r, r])));
  });
});
