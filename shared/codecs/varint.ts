/**
 * Unsigned LEB128 varints for u32 values (as in DWARF and protocol buffers): 7 bits per
 * byte, least significant group first, the high bit set on every byte but the last.
 * fedge accepts only the shortest encoding of a value, at most 5 bytes, so every index
 * set has exactly one encoding and a varint index section has a hard size bound.
 */
import { codecError } from "./codec-error";

export const MAX_VARINT_BYTES = 5;

export function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  return 5;
}

/** Writes value (0 ≤ value < 2³²) at offset; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  let v = value >>> 0;
  let at = offset;
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

/** Reads varints from bytes[start, end): every read is checked against end before it happens. */
export class VarintReader {
  #pos: number;
  readonly #bytes: Uint8Array;
  readonly #end: number;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = end;
  }

  /** Offset of the next unread byte. */
  get position(): number {
    return this.#pos;
  }

  read(): number {
    let value = 0;
    for (let i = 0; ; i++) {
      if (this.#pos >= this.#end) codecError("truncated", "a varint runs past the end of the index section");
      const b = this.#bytes[this.#pos++]!;
      if (i === MAX_VARINT_BYTES - 1) {
        // The 5th byte holds bits 28..31: anything above 0x0f is a 6th byte or a value ≥ 2³².
        if (b > 0x0f) codecError("varint_overflow", `a varint's 5th byte is 0x${b.toString(16)}, above 0x0f`);
        if (b === 0) codecError("varint_overlong", "a 5-byte varint ends in a zero byte");
        return value + b * 2 ** 28;
      }
      value |= (b & 0x7f) << (7 * i);
      if (b < 0x80) {
        if (b === 0 && i > 0) codecError("varint_overlong", `a ${i + 1}-byte varint ends in a zero byte`);
        return value;
      }
    }
  }
}
