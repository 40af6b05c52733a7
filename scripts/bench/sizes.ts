/**
 * The sizes table: whole frames (48-byte header included) from the real encoder at
 * d = 2²⁰, against the dense-f32 frame, with the index coding the encoder picked (the
 * smallest) and its cost per index.
 */
import { SPARSE_HEADER_BYTES, scaleCount } from "../../shared/codecs/layout";
import { FRAME_HEADER_BYTES } from "../../shared/protocol/frame";
import { encode } from "./workloads";

export interface SizeRow {
  density: number;
  bits: 8 | 4;
  indexCodec: string;
  bytes: number;
  ratioVsDenseF32: number;
  bitsPerIndex: number;
}

const INDEX_CODINGS = ["varint", "bitmap", "rice"];

export function sizes(values: Float32Array): SizeRow[] {
  const dense = FRAME_HEADER_BYTES + 4 * values.length;
  const rows: SizeRow[] = [];
  for (const density of [0.1, 0.01, 0.001]) {
    for (const bits of [8, 4] as const) {
      const { header, payload } = encode(values, { density, bits });
      const nnz = header.nnz;
      const blockSize = new DataView(payload.buffer, payload.byteOffset).getUint16(2, true);
      const levels = bits === 8 ? nnz : Math.ceil(nnz / 2);
      const indexBytes = payload.length - SPARSE_HEADER_BYTES - 4 * scaleCount(nnz, blockSize) - levels;
      const bytes = FRAME_HEADER_BYTES + payload.length;
      rows.push({
        density,
        bits,
        indexCodec: INDEX_CODINGS[payload[0]!]!,
        bytes,
        ratioVsDenseF32: dense / bytes,
        bitsPerIndex: (8 * indexBytes) / nnz,
      });
    }
  }
  return rows;
}
