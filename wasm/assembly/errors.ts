// Why a payload is refused: the kernels' numeric form of shared/codecs' CodecReason.
// wasm/kernel-errors.ts maps each code back to its reason; the two lists must agree.

export const OK: i32 = 0;
export const UNKNOWN_CODEC: i32 = 1;
export const TRUNCATED: i32 = 2;
export const TRAILING_BYTES: i32 = 3;
export const COUNT_MISMATCH: i32 = 4;
export const LARGER_THAN_DENSE: i32 = 5;
export const BAD_INDEX_CODING: i32 = 6;
export const BAD_RICE_PARAMETER: i32 = 7;
export const BAD_BLOCK_SIZE: i32 = 8;
export const BAD_SCALE: i32 = 9;
export const LEVEL_OUT_OF_RANGE: i32 = 10;
export const INDEX_OUT_OF_RANGE: i32 = 11;
export const VARINT_OVERFLOW: i32 = 12;
export const VARINT_OVERLONG: i32 = 13;
export const NONZERO_PADDING: i32 = 14;
export const NON_FINITE_VALUE: i32 = 15;
