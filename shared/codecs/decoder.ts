/**
 * The reference decoder: a raw (inflated) payload to the values it carries, with every
 * rule of docs/codecs.md checked, structure first (→ bad_frame), finiteness last
 * (→ non_finite_value). Nothing is returned unless the whole payload is valid, which is
 * what lets accumulateUpdate leave its accumulator untouched on a bad payload.
 */
import { codecError } from "./codec-error";
import { readIndexSection } from "./index-section";
import { payloadLayout, SPARSE_HEADER_BYTES } from "./layout";
import { readValueSection } from "./value-section";

export interface DecodedUpdate {
  /** The increasing indices of the carried values, or null for a dense codec (value i is index i). */
  indices: Uint32Array | null;
  values: Float32Array;
}

/** Decodes and validates a raw payload of codec for a model of dim parameters. Throws CodecError. */
export function decodePayload(codec: number, payload: Uint8Array, dim: number): DecodedUpdate {
  const layout = payloadLayout(codec, dim, payload);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (!layout.sparse) {
    const values = readValueSection(view, 0, layout.values, dim, 0);
    checkFinite(values, null);
    return { indices: null, values };
  }
  const { nnz, indexOffset, indexCoding, riceParameter } = layout;
  const indices = new Uint32Array(nnz);
  readIndexSection(payload, indexOffset, payload.byteLength, indexCoding, riceParameter, dim, indices);
  const values = readValueSection(view, SPARSE_HEADER_BYTES, layout.values, nnz, layout.blockSize);
  checkFinite(values, indices);
  return { indices, values };
}

/** The update as a dense vector of dim values (zeros where a sparse update carries nothing). */
export function decodeToDense(codec: number, payload: Uint8Array, dim: number): Float32Array {
  const { indices, values } = decodePayload(codec, payload, dim);
  if (!indices) return values;
  const dense = new Float32Array(dim);
  for (let j = 0; j < indices.length; j++) dense[indices[j]!] = values[j]!;
  return dense;
}

function checkFinite(values: Float32Array, indices: Uint32Array | null): void {
  for (let j = 0; j < values.length; j++) {
    if (!Number.isFinite(values[j]!)) {
      codecError("non_finite_value", `value at index ${indices ? indices[j] : j} is ${values[j]}`);
    }
  }
}
