/**
 * What the benchmark feeds the kernels: a model update of d normally distributed values
 * (σ = 0.01, as gradients late in training are small and roughly Gaussian), seeded, and
 * its frames from the real encoder. Top-k of i.i.d. values keeps uniformly random
 * positions, the case the index codings are sized for (docs/codecs.md#sizes).
 */
import { encodeUpdate, type ValueBits } from "../../shared/codecs/encoder";
import type { IndexCodingId } from "../../shared/codecs/ids";
import { SeededRandom } from "../../shared/codecs/random";
import { type Frame, parseFrame } from "../../shared/protocol/frame";

const META = {
  baseVersion: 0,
  sampleWeight: 1,
  updateId: "00112233445566778899aabbccddeeff",
  layoutHash: "00000000",
};

/** d draws of N(0, σ²) (Box–Muller; 1 − u keeps the logarithm finite). */
export function gaussianUpdate(d: number, seed: number, sigma = 0.01): Float32Array {
  const random = new SeededRandom(seed);
  const values = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    values[i] = sigma * Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  }
  return values;
}

export interface EncodeChoice {
  /** Omitted: a dense codec. */
  density?: number;
  bits: ValueBits;
  /** Omitted: the smallest, as a device would send. */
  indexCoding?: IndexCodingId;
}

/** The frame a device would send for values, parsed. */
export function encode(values: Float32Array, choice: EncodeChoice): Frame {
  const bytes = encodeUpdate(values, { ...META, ...choice, random: new SeededRandom(7).next });
  return parseFrame(bytes);
}
