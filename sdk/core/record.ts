/**
 * A self-contained binary record: JSON metadata and a byte payload in one store value, so
 * that a pending update or a cached model is written with a single atomic `set` and can
 * never be found half-written (metadata without its bytes, or the reverse).
 *
 * Layout: u32 little-endian metadata length, the metadata as UTF-8 JSON, then the payload.
 */
export interface DecodedRecord<M> {
  meta: M;
  payload: Uint8Array;
}

export function encodeRecord(meta: unknown, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + json.byteLength + payload.byteLength);
  new DataView(out.buffer).setUint32(0, json.byteLength, true);
  out.set(json, 4);
  out.set(payload, 4 + json.byteLength);
  return out;
}

/** Throws RangeError or SyntaxError on bytes that are not a record. */
export function decodeRecord<M>(bytes: Uint8Array): DecodedRecord<M> {
  if (bytes.byteLength < 4) throw new RangeError(`record of ${bytes.byteLength} bytes has no header`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + length > bytes.byteLength) {
    throw new RangeError(`record declares ${length} metadata bytes but has ${bytes.byteLength - 4}`);
  }
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))) as M;
  return { meta, payload: bytes.subarray(4 + length) };
}
