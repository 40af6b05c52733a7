/**
 * Payloads for fuzzing the accumulate path (wasm/codecs.contract.ts through the
 * Accumulator, wasm/kernel-memory.test.ts on the raw kernel): valid payloads of every
 * codec and index coding at small dims, mutated — bit flips, rewritten bytes, cuts,
 * extensions, rewritten header fields, special f32 values where scales sit, long and
 * overlong varints — and plain random bytes under a random codec id.
 *
 * FUZZ_RUNS (a binding that vitest.config.ts copies from the environment: workers cannot
 * read it) sets the cases per property; 500 by default, a few seconds in all.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import type { EncodedUpdate } from "../shared/codecs/accumulate";
import { encodeUpdate, type ValueBits } from "../shared/codecs/encoder";
import { IndexCoding } from "../shared/codecs/ids";
import { SeededRandom } from "../shared/codecs/random";
import { META } from "../shared/codecs/test-helpers";
import { parseFrame } from "../shared/protocol/frame";

export const FUZZ_RUNS = Number((env as unknown as { FUZZ_RUNS?: string }).FUZZ_RUNS || 500);

/** The dims of the corpus: one value, a few, not a multiple of 8, and past a 64-bit bitmap word. */
export const FUZZ_DIMS = [1, 9, 24, 77, 300] as const;

function corpus(): EncodedUpdate[] {
  const random = new SeededRandom(0xc0de);
  const out: EncodedUpdate[] = [];
  const add = (frame: Uint8Array) => {
    const { header, payload } = parseFrame(frame);
    out.push({ codec: header.codec, payload });
  };
  for (const dim of FUZZ_DIMS) {
    const values = Float32Array.from({ length: dim }, () => (random.next() - 0.5) * 4);
    add(encodeUpdate(values, META));
    add(encodeUpdate(values, { ...META, bits: 16 }));
    for (const bits of [32, 16, 8, 4] as ValueBits[]) {
      for (const indexCoding of [IndexCoding.Varint, IndexCoding.Bitmap, IndexCoding.Rice]) {
        for (const density of [0.1, 0.5]) {
          add(
            encodeUpdate(values, { ...META, density, bits, indexCoding, blockSize: 3, random: random.next }),
          );
        }
      }
    }
  }
  return out;
}

type Mutation = (payload: Uint8Array) => Uint8Array;

const special = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, -0, 0, 1e-45, 3.4e38);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat({ max: 7 })).map(
    ([at, bit]): Mutation =>
      (p) => {
        const q = p.slice();
        if (q.length > 0) q[at % q.length] = q[at % q.length]! ^ (1 << bit);
        return q;
      },
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(
    ([at, value]): Mutation =>
      (p) => {
        const q = p.slice();
        if (q.length > 0) q[at % q.length] = value;
        return q;
      },
  ),
  fc.nat().map(
    (cut): Mutation =>
      (p) =>
        p.slice(0, cut % (p.length + 1)),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map(
    (extra): Mutation =>
      (p) =>
        Uint8Array.from([...p, ...extra]),
  ),
  // Header fields of a sparse payload: index coding, Rice parameter, block size, nnz.
  fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 27 }), fc.nat({ max: 9 }), fc.nat({ max: 320 })).map(
    ([coding, k, block, nnz]): Mutation =>
      (p) => {
        const q = p.slice();
        if (q.length < 8) return q;
        const view = new DataView(q.buffer);
        if (coding < 3) view.setUint8(0, coding);
        if (k % 3 === 0) view.setUint8(1, k);
        if (block % 3 === 0) view.setUint16(2, block, true);
        if (nnz % 4 === 0) view.setUint32(4, nnz, true);
        return q;
      },
  ),
  // A special f32 where a scale or a value may sit.
  fc.tuple(fc.nat(), special).map(
    ([at, x]): Mutation =>
      (p) => {
        const q = p.slice();
        const i = 4 * (at % Math.max(1, Math.floor(q.length / 4)));
        if (i + 4 <= q.length) new DataView(q.buffer).setFloat32(i, x, true);
        return q;
      },
  ),
  // Long or overlong varints spliced in.
  fc
    .tuple(
      fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 7 }),
      fc.nat(),
      fc.nat({ max: 1 }),
    )
    .map(
      ([bytes, at, end]): Mutation =>
        (p) => {
          const cut = at % (p.length + 1);
          return Uint8Array.from([...p.subarray(0, cut), ...bytes, ...(end ? [0] : []), ...p.subarray(cut)]);
        },
    ),
);

/** Mutated valid payloads and random ones. */
export function fuzzedPayloads(): fc.Arbitrary<EncodedUpdate> {
  const valid = corpus();
  return fc.oneof(
    fc.tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([pick, mutations]) => {
      const { codec, payload } = valid[pick % valid.length]!;
      return { codec, payload: mutations.reduce((p, m) => m(p), payload) };
    }),
    fc.record({ codec: fc.integer({ min: 0, max: 6 }), payload: fc.uint8Array({ maxLength: 400 }) }),
  );
}
