// Dense kernels: the weighted sum every tier runs on partial aggregates, and the
// accumulate pass of the dense codecs (dense-f32, dense-f16), both SIMD.
//
// Each lane is one f32 multiply, rounded, then one f32 add, rounded (WebAssembly has no
// implicit fused multiply-add), so the vector body and the scalar tail give results
// bit-identical to the scalar TypeScript reference. The f64 sums of the accumulate
// pass (‖v‖², ⟨v, reference⟩) run in eight lanes, element j in lane j mod 8, combined at
// the end: a serial f64 sum would cost an add latency per value, a quarter of the
// throughput. The reference sums in index order, so the two differ by rounding only:
// each term is an exact product, and any order of n − 1 additions is within
// (n − 1)u/(1 − (n − 1)u) · Σ|terms| of the exact sum, u = 2⁻⁵³ (Higham, "Accuracy and
// Stability of Numerical Algorithms", 2nd ed., §4.2), so within 2n·2⁻⁵³·Σ|terms| of each other.

import { CHUNK, chunk, halvesToF32 } from "./dequantize";
import { setStats } from "./stats";

/**
 * acc[i] += w * x[i] for i in [0, n), on f32 buffers at byte offsets accPtr and xPtr.
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

/** The upper two floats of a vector in its lower lanes. */
function upper(x: v128): v128 {
  return i64x2.shuffle(x, x, 1, 0);
}

/** sum + the f64 products of the lower two floats of x and y, lane by lane. */
function addProducts(sum: v128, x: v128, y: v128): v128 {
  return f64x2.add(sum, f64x2.mul(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(y)));
}

function total(a: v128, b: v128, c: v128, d: v128): f64 {
  const s = f64x2.add(f64x2.add(a, b), f64x2.add(c, d));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * The accumulate pass of a dense codec over n values (validated finite) at x: binary16
 * when half is set (decoded a chunk at a time, ./dequantize.ts), else binary32. Eight
 * values per iteration, as two f32x4 vectors; the last n mod 8 one at a time.
 */
export function accumulateDense(half: bool, x: usize, n: u32, acc: usize, reference: usize, w: f32): void {
  const wv = f32x4.splat(w);
  let n0 = f64x2.splat(0);
  let n1 = f64x2.splat(0);
  let n2 = f64x2.splat(0);
  let n3 = f64x2.splat(0);
  let d0 = f64x2.splat(0);
  let d1 = f64x2.splat(0);
  let d2 = f64x2.splat(0);
  let d3 = f64x2.splat(0);
  let tailNorm: f64 = 0;
  let tailDot: f64 = 0;
  let a = acc;
  let r = reference;
  for (let j: u32 = 0; j < n; j += CHUNK) {
    const count = min(CHUNK, n - j);
    let v = x + ((<usize>j) << 2);
    if (half) {
      halvesToF32(x, j, count, chunk);
      v = chunk;
    }
    const end8 = a + ((<usize>(count & ~7)) << 2);
    while (a < end8) {
      const x0 = v128.load(v);
      const x1 = v128.load(v, 16);
      v += 32;
      v128.store(a, f32x4.add(v128.load(a), f32x4.mul(wv, x0)));
      v128.store(a, f32x4.add(v128.load(a, 16), f32x4.mul(wv, x1)), 16);
      a += 32;
      const x0u = upper(x0);
      const x1u = upper(x1);
      n0 = addProducts(n0, x0, x0);
      n1 = addProducts(n1, x0u, x0u);
      n2 = addProducts(n2, x1, x1);
      n3 = addProducts(n3, x1u, x1u);
      if (reference !== 0) {
        const r0 = v128.load(r);
        const r1 = v128.load(r, 16);
        r += 32;
        d0 = addProducts(d0, x0, r0);
        d1 = addProducts(d1, x0u, upper(r0));
        d2 = addProducts(d2, x1, r1);
        d3 = addProducts(d3, x1u, upper(r1));
      }
    }
    // Only in the last chunk (CHUNK is a multiple of 8).
    const end = a + ((<usize>(count & 7)) << 2);
    for (; a < end; a += 4, v += 4) {
      const value = load<f32>(v);
      store<f32>(a, load<f32>(a) + w * value);
      tailNorm += <f64>value * <f64>value;
      if (reference !== 0) {
        tailDot += <f64>value * <f64>load<f32>(r);
        r += 4;
      }
    }
  }
  setStats(total(n0, n1, n2, n3) + tailNorm, total(d0, d1, d2, d3) + tailDot);
}
