// Dense f32 kernels for the aggregation hot path. No allocation happens here: the host
// (wasm/accumulator.ts) owns the memory layout and passes raw byte offsets.

/**
 * First byte past static data. The host places its buffers at or above this (rounded up
 * to 16), so that adding static data to this module later cannot silently overlap them.
 */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * acc[i] += w * x[i] for i in [0, n), on f32 buffers at byte offsets accPtr and xPtr.
 *
 * Each lane is one f32 multiply, rounded, then one f32 add, rounded (WebAssembly has no
 * implicit fused multiply-add), so the SIMD body, the 4-wide loop and the scalar tail all
 * give results bit-identical to the scalar TypeScript reference.
 * Buffers should be 16-byte aligned for speed; misalignment is still correct.
 */
export function weightedSum(accPtr: usize, xPtr: usize, n: i32, w: f32): void {
  if (n <= 0) return;
  const wv = f32x4.splat(w);
  let a = accPtr;
  let x = xPtr;
  const end = accPtr + ((<usize>n) << 2);

  // Main body: 16 floats (4 × v128) per iteration, to amortise loop overhead.
  const end16 = accPtr + ((<usize>(n & ~15)) << 2);
  while (a < end16) {
    v128.store(a, f32x4.add(v128.load(a), f32x4.mul(wv, v128.load(x))));
    v128.store(a, f32x4.add(v128.load(a, 16), f32x4.mul(wv, v128.load(x, 16))), 16);
    v128.store(a, f32x4.add(v128.load(a, 32), f32x4.mul(wv, v128.load(x, 32))), 32);
    v128.store(a, f32x4.add(v128.load(a, 48), f32x4.mul(wv, v128.load(x, 48))), 48);
    a += 64;
    x += 64;
  }

  // Up to three remaining full vectors.
  const end4 = accPtr + ((<usize>(n & ~3)) << 2);
  while (a < end4) {
    v128.store(a, f32x4.add(v128.load(a), f32x4.mul(wv, v128.load(x))));
    a += 16;
    x += 16;
  }

  // Scalar tail: up to three floats.
  while (a < end) {
    store<f32>(a, load<f32>(a) + w * load<f32>(x));
    a += 4;
    x += 4;
  }
}
