/**
 * The decode-and-accumulate contract: what the server runs for every update it sums,
 * and what a WASM kernel will implement, with this TypeScript function as its reference
 * and test oracle (as shared/kernels/ is for the dense sum).
 *
 * For a raw (inflated) payload carrying values vⱼ at indices iⱼ:
 *   acc[iⱼ] ← f32(acc[iⱼ] + f32(f32(scale) · vⱼ))   for j in index order
 *   squaredNorm = Σ vⱼ²,  dot = Σ vⱼ · reference[iⱼ]   (f64, in index order; dot = 0 without reference)
 * which is bit for bit what the dense kernel does at the carried indices. The whole
 * payload is validated before acc is touched: on any CodecError acc is unchanged, and no
 * index ≥ acc.length is ever written.
 */
import { decodePayload } from "./decoder";

/** A raw payload and the codec it is in; dim is the accumulator's length. */
export interface EncodedUpdate {
  codec: number;
  payload: Uint8Array;
}

export interface UpdateStats {
  /** ‖v‖² of the decoded update, before scaling. */
  squaredNorm: number;
  /** ⟨v, reference⟩ of the decoded update, before scaling; 0 without a reference. */
  dot: number;
}

export type AccumulateUpdate = (
  acc: Float32Array,
  update: EncodedUpdate,
  scale: number,
  reference?: Float32Array,
) => UpdateStats;

export const accumulateUpdate: AccumulateUpdate = (acc, update, scale, reference) => {
  const w = Math.fround(scale);
  if (!Number.isFinite(w)) throw new RangeError(`scale must be a finite f32 number, got ${scale}`);
  if (reference && reference.length !== acc.length) {
    throw new RangeError(`reference length ${reference.length} ≠ accumulator length ${acc.length}`);
  }
  const { indices, values } = decodePayload(update.codec, update.payload, acc.length);
  let squaredNorm = 0;
  let dot = 0;
  for (let j = 0; j < values.length; j++) {
    const i = indices ? indices[j]! : j;
    const v = values[j]!;
    acc[i] = acc[i]! + Math.fround(w * v);
    squaredNorm += v * v;
    if (reference) dot += v * reference[i]!;
  }
  return { squaredNorm, dot };
};
