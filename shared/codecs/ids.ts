/**
 * The codec names on the wire (docs/codecs.md): codec ids (frame byte 5), flag bits
 * (frame bytes 6–7) and the index codings of a sparse payload. Constants only, so the
 * frame parser and every codec module can import them without import cycles.
 */

/** Frame byte 5. What the payload carries; how its indices are packed is in the payload itself. */
export const Codec = {
  /** dim IEEE-754 binary32 values. */
  DenseF32: 0,
  /** dim IEEE-754 binary16 values. */
  DenseF16: 1,
  /** nnz indices and their binary32 values. */
  SparseF32: 2,
  /** nnz indices and their binary16 values. */
  SparseF16: 3,
  /** nnz indices and 8-bit levels; value = level × its block's scale. */
  SparseQ8: 4,
  /** nnz indices and 4-bit levels; value = level × its block's scale. */
  SparseQ4: 5,
} as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];

export type ValueCoding = "f32" | "f16" | "q8" | "q4";

export interface CodecInfo {
  readonly name: string;
  readonly sparse: boolean;
  readonly values: ValueCoding;
}

const CODECS: Readonly<Record<CodecId, CodecInfo>> = {
  [Codec.DenseF32]: { name: "dense-f32", sparse: false, values: "f32" },
  [Codec.DenseF16]: { name: "dense-f16", sparse: false, values: "f16" },
  [Codec.SparseF32]: { name: "sparse-f32", sparse: true, values: "f32" },
  [Codec.SparseF16]: { name: "sparse-f16", sparse: true, values: "f16" },
  [Codec.SparseQ8]: { name: "sparse-q8", sparse: true, values: "q8" },
  [Codec.SparseQ4]: { name: "sparse-q4", sparse: true, values: "q4" },
};

/** The codec's description, or undefined for an id that is not a codec. */
export function codecInfo(codec: number): CodecInfo | undefined {
  return Object.hasOwn(CODECS, codec) ? CODECS[codec as CodecId] : undefined;
}

export function codecName(codec: number): string {
  return codecInfo(codec)?.name ?? `unknown(${codec})`;
}

/** Every codec the server decodes, by name, in id order: what registration advertises. */
export const SUPPORTED_CODECS: readonly string[] = Object.values(CODECS).map((c) => c.name);

/** Frame bytes 6–7. Every bit not named here is reserved and refused. */
export const FrameFlag = {
  /** The payload is a raw DEFLATE stream (RFC 1951) of the codec's payload. */
  Deflate: 0x0001,
} as const;
export const KNOWN_FLAGS = FrameFlag.Deflate;

/** Sparse payload byte 0: how the index section is packed. */
export const IndexCoding = {
  /** Gaps as unsigned LEB128 varints. */
  Varint: 0,
  /** One bit per parameter. */
  Bitmap: 1,
  /** Gaps as Golomb-Rice codes with parameter k. */
  Rice: 2,
} as const;
export type IndexCodingId = (typeof IndexCoding)[keyof typeof IndexCoding];

export function isIndexCoding(value: number): value is IndexCodingId {
  return value === IndexCoding.Varint || value === IndexCoding.Bitmap || value === IndexCoding.Rice;
}
