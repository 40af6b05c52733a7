/**
 * Serialises an encoder's saved state for the store. The state is opaque to the client
 * (`unknown`), but an error-feedback encoder's is mostly a residual as large as the model,
 * so typed arrays are stored as raw bytes after the JSON rather than as JSON numbers.
 */
import { decodeRecord, encodeRecord } from "./record";

const TYPED_ARRAYS = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint16Array,
  Uint32Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;

/** What replaces a typed array in the JSON: its constructor and where its bytes are. */
interface BinaryRef {
  $typed: TypedArrayName;
  offset: number;
  byteLength: number;
}

function typedArrayName(value: unknown): TypedArrayName | undefined {
  if (!ArrayBuffer.isView(value)) return undefined;
  for (const name of Object.keys(TYPED_ARRAYS) as TypedArrayName[]) {
    if (value.constructor === TYPED_ARRAYS[name]) return name;
  }
  return undefined;
}

function isBinaryRef(value: unknown): value is BinaryRef {
  return typeof value === "object" && value !== null && typeof (value as BinaryRef).$typed === "string";
}

/** Encodes JSON-compatible values and typed arrays (at any depth). */
export function encodeState(state: unknown): Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(state ?? null, (_key, value: unknown) => {
    const name = typedArrayName(value);
    if (name === undefined) return value;
    const array = value as TypedArray;
    chunks.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    const ref: BinaryRef = { $typed: name, offset, byteLength: array.byteLength };
    offset += array.byteLength;
    return ref;
  });
  const payload = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    payload.set(chunk, at);
    at += chunk.byteLength;
  }
  return encodeRecord(json, payload);
}

export function decodeState(bytes: Uint8Array): unknown {
  const { meta, payload } = decodeRecord<string>(bytes);
  return JSON.parse(meta, (_key, value: unknown) => {
    if (!isBinaryRef(value)) return value;
    const Ctor = TYPED_ARRAYS[value.$typed];
    // A copy, because a typed array view needs an aligned offset and the chunk may have none.
    const copy = payload.slice(value.offset, value.offset + value.byteLength);
    return new Ctor(copy.buffer, 0, value.byteLength / Ctor.BYTES_PER_ELEMENT);
  });
}
