/**
 * The update frame: a 48-byte little-endian header followed by a codec payload.
 * Byte-by-byte specification: docs/protocol.md#update-frame; the codecs and their
 * payloads: docs/codecs.md and shared/codecs/. Every length and count is checked against
 * the bytes actually present before anything is read.
 */

import { Codec, type CodecId, codecInfo, FrameFlag, KNOWN_FLAGS } from "../codecs/ids";
import { checkCounts, payloadLayout } from "../codecs/layout";
import { FedgeError } from "../errors";

export { Codec, type CodecId, codecName } from "../codecs/ids";

export const FRAME_MAGIC = 0x47444546; // "FEDG" read as a little-endian u32
export const FRAME_FORMAT_VERSION = 1;
export const FRAME_HEADER_BYTES = 48;

/** Largest dimension a frame may declare; DO memory (128 MB) bounds a task's model long before this. */
export const MAX_DIM = 1 << 26;

export interface FrameHeader {
  formatVersion: number;
  codec: CodecId;
  flags: number;
  dim: number;
  nnz: number;
  /** The model version the device trained from. */
  baseVersion: number;
  /** The update's weight in FedAvg: the number of local training examples. */
  sampleWeight: number;
  /** 16 random bytes chosen by the device, as 32 lowercase hex digits; the idempotency key. */
  updateId: string;
  /** Bytes 40..43 as 8 lowercase hex digits: the first 4 bytes of SHA-256 over the task's canonical layout. */
  layoutHash: string;
  payloadBytes: number;
}

export interface Frame {
  header: FrameHeader;
  payload: Uint8Array;
}

// Typed-array views follow the platform's byte order; the frame is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!LITTLE_ENDIAN) throw new Error("fedge requires a little-endian platform");

function badFrame(message: string): never {
  throw new FedgeError("bad_frame", message);
}

/**
 * Parses and structurally validates a frame. Throws FedgeError("bad_frame") naming the
 * first problem (a CodecError for a payload's structure). A deflated payload is checked
 * only once inflated (shared/codecs/deflate.ts); values are checked by decoding.
 */
export function parseFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength < FRAME_HEADER_BYTES) {
    badFrame(`frame is ${bytes.byteLength} bytes, shorter than the ${FRAME_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== FRAME_MAGIC) badFrame(`bad magic 0x${magic.toString(16).padStart(8, "0")}, expected "FEDG"`);
  const formatVersion = view.getUint8(4);
  if (formatVersion !== FRAME_FORMAT_VERSION) {
    badFrame(`unsupported format version ${formatVersion}, expected ${FRAME_FORMAT_VERSION}`);
  }
  const codec = view.getUint8(5);
  if (!codecInfo(codec)) badFrame(`unknown codec ${codec}`);
  const flags = view.getUint16(6, true);
  if ((flags & ~KNOWN_FLAGS) !== 0) badFrame(`unknown flags 0x${flags.toString(16)}`);
  const dim = view.getUint32(8, true);
  if (dim === 0 || dim > MAX_DIM) badFrame(`dim ${dim} is outside 1..${MAX_DIM}`);
  const nnz = view.getUint32(12, true);
  const baseVersion = view.getUint32(16, true);
  const sampleWeight = view.getFloat32(20, true);
  if (!Number.isFinite(sampleWeight) || sampleWeight <= 0) {
    badFrame(`sample weight ${sampleWeight} must be a finite number > 0`);
  }
  const id = bytes.subarray(24, 40);
  if (id.every((b) => b === 0)) badFrame("update id is all zeros; devices must choose 16 random bytes");
  const updateId = toHex(id);
  const layoutHash = toHex(bytes.subarray(40, 44));
  const payloadBytes = view.getUint32(44, true);
  const present = bytes.byteLength - FRAME_HEADER_BYTES;
  if (payloadBytes !== present) {
    badFrame(`header declares ${payloadBytes} payload bytes but ${present} are present`);
  }
  const payload = bytes.subarray(FRAME_HEADER_BYTES);
  checkCounts(codec as CodecId, dim, nnz);
  if ((flags & FrameFlag.Deflate) === 0) payloadLayout(codec, dim, payload, nnz);
  return {
    header: {
      formatVersion,
      codec: codec as CodecId,
      flags,
      dim,
      nnz,
      baseVersion,
      sampleWeight,
      updateId,
      layoutHash,
      payloadBytes,
    },
    payload,
  };
}

export interface EncodeOptions {
  baseVersion: number;
  sampleWeight: number;
  updateId: string;
  /** 8 hex digits, as the task reports it; written to bytes 40..43 in that order. */
  layoutHash: string;
}

/** What a frame's header says about its payload. */
export interface PayloadHeader {
  codec: CodecId;
  flags: number;
  dim: number;
  nnz: number;
}

/** Writes the 48-byte header for payload and appends it. Every encoder goes through here. */
export function encodeFrame(header: PayloadHeader, payload: Uint8Array, options: EncodeOptions): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint8(4, FRAME_FORMAT_VERSION);
  view.setUint8(5, header.codec);
  view.setUint16(6, header.flags, true);
  view.setUint32(8, header.dim, true);
  view.setUint32(12, header.nnz, true);
  view.setUint32(16, options.baseVersion, true);
  view.setFloat32(20, options.sampleWeight, true);
  out.set(fromHex(options.updateId, 16), 24);
  out.set(fromHex(options.layoutHash, 4), 40);
  view.setUint32(44, payload.byteLength, true);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Encodes a dense-f32 update frame. Used by the SDK, the tests and the docs' golden vectors. */
export function encodeDenseF32Frame(values: Float32Array, options: EncodeOptions): Uint8Array {
  const n = values.length;
  const payload = new Uint8Array(values.buffer, values.byteOffset, n * 4);
  return encodeFrame({ codec: Codec.DenseF32, flags: 0, dim: n, nnz: n }, payload, options);
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function fromHex(hex: string, length: number): Uint8Array {
  if (hex.length !== length * 2 || !/^[0-9a-f]*$/i.test(hex)) {
    throw new RangeError(`expected ${length * 2} hex digits, got "${hex}"`);
  }
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** 16 cryptographically random bytes as hex: a fresh update id. */
export function randomUpdateId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}
