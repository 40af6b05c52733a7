/**
 * The index section of a sparse payload: which of the three codings an encoder uses
 * (the smallest for the update at hand), and reading and writing it. All three code the
 * same increasing index set; the gaps gⱼ = iⱼ − iⱼ₋₁ − 1 (g₀ = i₀) of the varint and
 * Golomb-Rice codings are ≥ 0, so indices that do not increase are unrepresentable.
 */
import { bitmapBytes, readBitmap, writeBitmap } from "./bitmap";
import { codecError } from "./codec-error";
import { bestRiceParameter, readRice, writeRice } from "./golomb-rice";
import { IndexCoding, type IndexCodingId } from "./ids";
import { VarintReader, varintLength, writeVarint } from "./varint";

export interface IndexSection {
  coding: IndexCodingId;
  /** The Golomb-Rice parameter; 0 for the other codings. */
  riceParameter: number;
  bytes: number;
}

/** The section of each coding for these indices: varint, bitmap, Golomb-Rice (with its best k). */
export function indexSections(indices: Uint32Array, dim: number): IndexSection[] {
  let varint = 0;
  let next = 0;
  for (const i of indices) {
    varint += varintLength(i - next);
    next = i + 1;
  }
  const rice = bestRiceParameter(indices, dim);
  return [
    { coding: IndexCoding.Varint, riceParameter: 0, bytes: varint },
    { coding: IndexCoding.Bitmap, riceParameter: 0, bytes: bitmapBytes(dim) },
    { coding: IndexCoding.Rice, riceParameter: rice.k, bytes: Math.ceil(rice.bits / 8) },
  ];
}

/** The smallest section; on a tie, the lowest coding id. */
export function smallestIndexSection(indices: Uint32Array, dim: number): IndexSection {
  return indexSections(indices, dim).reduce((best, s) => (s.bytes < best.bytes ? s : best));
}

/** Writes the section at out[offset…], which must be zero over its length. */
export function writeIndexSection(
  out: Uint8Array,
  offset: number,
  section: IndexSection,
  indices: Uint32Array,
): void {
  switch (section.coding) {
    case IndexCoding.Varint: {
      let at = offset;
      let next = 0;
      for (const i of indices) {
        at = writeVarint(out, at, i - next);
        next = i + 1;
      }
      break;
    }
    case IndexCoding.Bitmap:
      writeBitmap(out, offset, indices);
      break;
    case IndexCoding.Rice:
      writeRice(out, offset, indices, section.riceParameter);
      break;
  }
}

/**
 * Reads out.length indices below dim from bytes[start, end), which must be exactly the
 * section: a section that ends early is "truncated", one with bytes left "trailing_bytes".
 */
export function readIndexSection(
  bytes: Uint8Array,
  start: number,
  end: number,
  coding: IndexCodingId,
  riceParameter: number,
  dim: number,
  out: Uint32Array,
): void {
  switch (coding) {
    case IndexCoding.Bitmap:
      readBitmap(bytes, start, dim, out);
      break;
    case IndexCoding.Rice:
      readRice(bytes, start, end, dim, riceParameter, out);
      break;
    case IndexCoding.Varint: {
      const reader = new VarintReader(bytes, start, end);
      let next = 0;
      for (let j = 0; j < out.length; j++) {
        const index = next + reader.read();
        if (index >= dim) codecError("index_out_of_range", `index ${j} is ${index}, but dim is ${dim}`);
        out[j] = index;
        next = index + 1;
      }
      if (reader.position !== end)
        codecError("trailing_bytes", `${end - reader.position} bytes follow the last varint`);
      return;
    }
  }
}
