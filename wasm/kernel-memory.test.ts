/**
 * The accumulate kernel's memory discipline, on its raw exports rather than through the
 * wrapper: whatever the payload, it writes nothing outside acc and its index scratch
 * (canaries surround both), writes acc only when it accepts, and reads nothing past the
 * payload's last byte — the payload ends exactly at the end of linear memory, where a
 * read past it traps. Its decision is the reference decoder's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "../shared/codecs/codec-error";
import { decodePayload } from "../shared/codecs/decoder";
import { encodeUpdate, type ValueBits } from "../shared/codecs/encoder";
import { IndexCoding } from "../shared/codecs/ids";
import { SeededRandom } from "../shared/codecs/random";
import { META } from "../shared/codecs/test-helpers";
import { parseFrame } from "../shared/protocol/frame";
import type { KernelExports } from "./accumulator";
import kernelsModule from "./build/kernels.wasm";
import { FUZZ_DIMS, FUZZ_RUNS, fuzzedPayloads } from "./fuzz-payloads";
import { KERNEL_REASONS } from "./kernel-errors";

const CANARY_BYTES = 64;
const CANARY = 0xa5;
const MAX_DIM = 3000;

/** [canary][acc][canary][indices][canary][reference] … and a payload at the very end of memory. */
function instantiate() {
  const exports = new WebAssembly.Instance(kernelsModule, {}).exports as unknown as KernelExports;
  const region = 4 * MAX_DIM;
  const canary0 = Math.ceil(exports.heapBase() / 16) * 16;
  const acc = canary0 + CANARY_BYTES;
  const canary1 = acc + region;
  const indices = canary1 + CANARY_BYTES;
  const canary2 = indices + region;
  const reference = canary2 + CANARY_BYTES;
  exports.memory.grow(Math.ceil((reference + region + 65536) / 65536));
  return { exports, acc, indices, reference, canaries: [canary0, canary1, canary2] };
}

const reasonOf = (codec: number, payload: Uint8Array, dim: number): string => {
  try {
    decodePayload(codec, payload, dim);
    return "ok";
  } catch (error) {
    if (error instanceof CodecError) return error.reason;
    throw error;
  }
};

describe("accumulate kernel memory", () => {
  it(
    "writes only acc (on success) and its scratch, never reads past the payload, and decides as the reference (fuzz)",
    () => {
      const { exports, acc, indices, reference, canaries } = instantiate();
      fc.assert(
        fc.property(
          fuzzedPayloads(),
          fc.constantFrom(...FUZZ_DIMS),
          fc.boolean(),
          ({ codec, payload }, dim, withReference) => {
            const memory = new Uint8Array(exports.memory.buffer);
            const at = memory.length - payload.length;
            memory.set(payload, at);
            for (const c of canaries) memory.fill(CANARY, c, c + CANARY_BYTES);
            const sums = new Float32Array(exports.memory.buffer, acc, dim);
            sums.forEach((_, i) => {
              sums[i] = i - 2;
            });
            new Float32Array(exports.memory.buffer, reference, dim).fill(0.5);
            const before = sums.slice();

            const code = exports.accumulate(
              codec,
              at,
              payload.length,
              dim,
              acc,
              indices,
              withReference ? reference : 0,
              2,
            );

            expect(KERNEL_REASONS[code] ?? "ok").toBe(reasonOf(codec, payload, dim));
            if (code !== 0) expect(sums).toEqual(before);
            for (const c of canaries)
              expect(memory.subarray(c, c + CANARY_BYTES).every((b) => b === CANARY)).toBe(true);
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    },
    Math.max(30_000, FUZZ_RUNS * 30),
  );

  it("reads valid payloads of every codec and size up to their last byte, and not one byte further", () => {
    // The fast paths load 8 or 16 bytes at a time; where a section ends decides whether the
    // last load would reach past it, so this sweeps many sizes rather than relying on the fuzz.
    const { exports, acc, indices } = instantiate();
    const random = new SeededRandom(0x5eed);
    for (let dim = 40; dim <= MAX_DIM; dim += 37) {
      const values = Float32Array.from({ length: dim }, () => random.next() - 0.5);
      for (const bits of [32, 16, 8, 4] as ValueBits[]) {
        for (const indexCoding of [IndexCoding.Varint, IndexCoding.Bitmap, IndexCoding.Rice]) {
          const density = 0.02 + random.next() * 0.5;
          const options = {
            ...META,
            density,
            bits,
            indexCoding,
            blockSize: 1 + (dim % 70),
            random: random.next,
          };
          const { header, payload } = parseFrame(encodeUpdate(values, options));
          const memory = new Uint8Array(exports.memory.buffer);
          memory.set(payload, memory.length - payload.length);
          const at = memory.length - payload.length;
          expect(exports.accumulate(header.codec, at, payload.length, dim, acc, indices, 0, 1)).toBe(0);
        }
      }
      const dense = new Uint8Array(exports.memory.buffer);
      for (const bits of [32, 16] as const) {
        const { header, payload } = parseFrame(encodeUpdate(values, { ...META, bits }));
        dense.set(payload, dense.length - payload.length);
        expect(
          exports.accumulate(
            header.codec,
            dense.length - payload.length,
            payload.length,
            dim,
            acc,
            indices,
            0,
            1,
          ),
        ).toBe(0);
      }
    }
  });
});
