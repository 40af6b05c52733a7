/**
 * The golden vectors of docs/codecs.md#golden-vectors: one frame per codec × index
 * coding, and a deflated one, byte for byte, with the encoder input that produces each
 * and the values it decodes to. golden.test.ts checks the encoder, the decoder and the
 * spec against them; wasm/codecs.contract.ts runs every accumulator backend on them.
 * Every quantized input is a multiple of its block's step, so the frames do not depend
 * on the random draws.
 */
import type { CompressionOptions } from "./encoder";
import { Codec, codecName, IndexCoding, type IndexCodingId } from "./ids";

export interface Golden {
  name: string;
  /** The encoder's input: dim and the nonzero values by index. */
  dim: number;
  input: Record<number, number>;
  options: CompressionOptions;
  hex: string;
  /** What the frame decodes to, nonzero values by index. */
  decoded: Record<number, number>;
}

// Sparse inputs: five values of dim 24 at indices 1, 4, 5, 13, 22 (gaps 1, 2, 0, 7, 8).
const A = { 1: 0.5, 4: -127 / 128, 5: 0.25, 13: -1 / 128, 22: 127 / 256 }; // q8 steps 1/128 and 1/256
const B = { 1: 0.5, 4: -0.875, 5: 0.25, 13: -0.125, 22: 0.4375 }; // q4 steps 1/8 and 1/16
const DECODED_A = { 1: 0.5, 4: -0.9921875, 5: 0.25, 13: -0.0078125, 22: 0.49609375 };
const { Varint, Bitmap, Rice } = IndexCoding;
const SPARSE = { 32: Codec.SparseF32, 16: Codec.SparseF16, 8: Codec.SparseQ8, 4: Codec.SparseQ4 } as const;
const sparse = (
  input: Record<number, number>,
  bits: 32 | 16 | 8 | 4,
  indexCoding: IndexCodingId,
  hex: string,
) => ({
  name: `${codecName(SPARSE[bits])}, ${["varint", "bitmap", "rice"][indexCoding]} indices`,
  dim: 24,
  input,
  options: { density: 5 / 24, bits, indexCoding, ...(bits <= 8 ? { blockSize: 4 } : {}) },
  hex,
  decoded: bits === 4 ? B : DECODED_A,
});

// Bytes 16–43 of every frame: base version 0, sample weight 10, update id, layout hash deadbeef.
export const GOLDEN: Golden[] = [
  {
    name: "dense-f32",
    dim: 4,
    input: { 0: 1, 1: -2.5, 2: 0.5 },
    options: {},
    hex: "46454447010000000400000004000000000000000000204100112233445566778899aabbccddeeffdeadbeef100000000000803f000020c00000003f00000000",
    decoded: { 0: 1, 1: -2.5, 2: 0.5 },
  },
  {
    name: "dense-f16",
    dim: 4,
    input: { 0: 1, 1: -2.5, 2: 2 ** -14, 3: 0.1 },
    options: { bits: 16 },
    hex: "46454447010100000400000004000000000000000000204100112233445566778899aabbccddeeffdeadbeef08000000003c00c10004662e",
    decoded: { 0: 1, 1: -2.5, 2: 0.00006103515625, 3: 0.0999755859375 },
  },
  sparse(
    A,
    32,
    Varint,
    "46454447010200001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef2100000000000000050000000000003f00007ebf0000803e000000bc0000fe3e0102000708",
  ),
  sparse(
    A,
    32,
    Bitmap,
    "46454447010200001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1f00000001000000050000000000003f00007ebf0000803e000000bc0000fe3e322040",
  ),
  sparse(
    A,
    32,
    Rice,
    "46454447010200001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1f00000002010000050000000000003f00007ebf0000803e000000bc0000fe3e86fb00",
  ),
  sparse(
    A,
    16,
    Varint,
    "46454447010300001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1700000000000000050000000038f0bb003400a0f0370102000708",
  ),
  sparse(
    A,
    16,
    Bitmap,
    "46454447010300001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1500000001000000050000000038f0bb003400a0f037322040",
  ),
  sparse(
    A,
    16,
    Rice,
    "46454447010300001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1500000002010000050000000038f0bb003400a0f03786fb00",
  ),
  sparse(
    A,
    8,
    Varint,
    "46454447010400001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1a00000000000400050000000000003c0000803b408120ff7f0102000708",
  ),
  sparse(
    A,
    8,
    Bitmap,
    "46454447010400001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1800000001000400050000000000003c0000803b408120ff7f322040",
  ),
  sparse(
    A,
    8,
    Rice,
    "46454447010400001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1800000002010400050000000000003c0000803b408120ff7f86fb00",
  ),
  sparse(
    B,
    4,
    Varint,
    "46454447010500001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1800000000000400050000000000003e0000803d94f2070102000708",
  ),
  sparse(
    B,
    4,
    Bitmap,
    "46454447010500001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1600000001000400050000000000003e0000803d94f207322040",
  ),
  sparse(
    B,
    4,
    Rice,
    "46454447010500001800000005000000000000000000204100112233445566778899aabbccddeeffdeadbeef1600000002010400050000000000003e0000803d94f20786fb00",
  ),
];

/** dense-f32 [0, 0, 0, 1, 0 × 6, −2, 0 × 5] with its 64-byte payload deflated to 13 bytes. */
export const DEFLATED = {
  hex: "46454447010001001000000010000000000000000000204100112233445566778899aabbccddeeffdeadbeef0d000000636040060df60cb8c1016c8200",
  decoded: { 3: 1, 10: -2 },
};

/** The dense vector of dim values with these nonzero values by index. */
export function dense(dim: number, values: Record<number, number>): Float32Array {
  const out = new Float32Array(dim);
  for (const [i, v] of Object.entries(values)) out[Number(i)] = v;
  return out;
}
