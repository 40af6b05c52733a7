/**
 * The update frame: a 48-byte little-endian header followed by a codec payload.
 * Byte-by-byte specification: docs/protocol.md#update-frame. Every length and count is
 * checked against the bytes actually present before anything is read.
 */
import { FedgeError } from "../errors";

export const FRAME_MAGIC = 0x47444546; // "FEDG" read as a little-endian u32
export const FRAME_FORMAT_VERSION = 1;
export const FRAME_HEADER_BYTES = 48;

export const Codec = {
  /** dim little-endian IEEE-754 binary32 values. */
  DenseF32: 0,
} as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];

const CODEC_NAMES: Record<number, string> = { [Codec.DenseF32]: "dense-f32" };

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

export function codecName(codec: number): string {
  return CODEC_NAMES[codec] ?? `unknown(${codec})`;
}

/** Parses and structurally validates a frame. Throws FedgeError("bad_frame") naming the first problem. */
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
  if (!(codec in CODEC_NAMES)) badFrame(`unknown codec ${codec}`);
  const flags = view.getUint16(6, true);
  if (flags !== 0) badFrame(`unknown flags 0x${flags.toString(16)}`);
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
  if (codec === Codec.DenseF32) {
    if (nnz !== dim) badFrame(`dense frame has nnz ${nnz} ≠ dim ${dim}`);
    if (payloadBytes !== dim * 4)
      badFrame(`dense-f32 payload must be dim × 4 = ${dim * 4} bytes, got ${payloadBytes}`);
  }
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
    payload: bytes.subarray(FRAME_HEADER_BYTES),
  };
}

/** Decodes a dense-f32 payload into a fresh array, rejecting NaN and ±Infinity (422 non_finite_value). */
export function decodeDenseF32(payload: Uint8Array, dim: number): Float32Array {
  if (payload.byteLength !== dim * 4) badFrame(`dense-f32 payload must be ${dim * 4} bytes`);
  const values = new Float32Array(dim);
  new Uint8Array(values.buffer).set(payload);
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(values[i] as number)) {
      throw new FedgeError("non_finite_value", `value at index ${i} is ${values[i]}`);
    }
  }
  return values;
}

export interface EncodeOptions {
  baseVersion: number;
  sampleWeight: number;
  updateId: string;
  /** 8 hex digits, as the task reports it; written to bytes 40..43 in that order. */
  layoutHash: string;
}

/** Encodes a dense-f32 update frame. Used by the SDK, the tests and the docs' golden vectors. */
export function encodeDenseF32Frame(values: Float32Array, options: EncodeOptions): Uint8Array {
  const payloadBytes = values.length * 4;
  const out = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint8(4, FRAME_FORMAT_VERSION);
  view.setUint8(5, Codec.DenseF32);
  view.setUint16(6, 0, true);
  view.setUint32(8, values.length, true);
  view.setUint32(12, values.length, true);
  view.setUint32(16, options.baseVersion, true);
  view.setFloat32(20, options.sampleWeight, true);
  out.set(fromHex(options.updateId, 16), 24);
  out.set(fromHex(options.layoutHash, 4), 40);
  view.setUint32(44, payloadBytes, true);
  out.set(new Uint8Array(values.buffer, values.byteOffset, payloadBytes), FRAME_HEADER_BYTES);
  return out;
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
