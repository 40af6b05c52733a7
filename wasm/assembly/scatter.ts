// The second pass over a validated sparse payload: value j, decoded to f32, is added
// scaled at the j-th decoded index — acc[i] ← f32(acc[i] + f32(w · v)) — and ‖v‖² and
// ⟨v, reference⟩ are summed in f64 in index order, exactly as shared/codecs/accumulate.ts
// does, so every result is bit for bit the reference's. Indices come from the first pass
// (below dim, increasing); nothing here can fail.
//
// Values other than f32 are decoded a chunk at a time (SIMD, ./dequantize.ts), so one
// tight scalar loop does the scatter for every value coding. A reference of 0 means
// none: then the loop skips the gather, and dot is 0.

import { CHUNK, chunk, halvesToF32, q4ToF32, q8ToF32 } from "./dequantize";
import { ceilDiv, SPARSE_F16, SPARSE_F32, SPARSE_Q8 } from "./layout";
import { setStats } from "./stats";

// The running sums while chunks are added, in index order.
let norm: f64 = 0;
let dot: f64 = 0;

/** Adds w × the count f32 values at values at the count indices at indices. */
function addValues(values: usize, indices: usize, count: u32, acc: usize, reference: usize, w: f32): void {
  let s = norm;
  let d = dot;
  const end = values + ((<usize>count) << 2);
  if (reference === 0) {
    for (; values < end; values += 4, indices += 4) {
      const v = load<f32>(values);
      const at = acc + ((<usize>load<u32>(indices)) << 2);
      store<f32>(at, load<f32>(at) + w * v);
      s += <f64>v * <f64>v;
    }
  } else {
    for (; values < end; values += 4, indices += 4) {
      const v = load<f32>(values);
      const offset = (<usize>load<u32>(indices)) << 2;
      const at = acc + offset;
      store<f32>(at, load<f32>(at) + w * v);
      s += <f64>v * <f64>v;
      d += <f64>v * <f64>load<f32>(reference + offset);
    }
  }
  norm = s;
  dot = d;
}

/**
 * Adds w × the n values of the section at section (codec 2…5, block size b) at the n
 * indices at indices, and records their statistics.
 */
export function scatterAdd(
  codec: u32,
  section: usize,
  b: u32,
  indices: usize,
  n: u32,
  acc: usize,
  reference: usize,
  w: f32,
): void {
  norm = 0;
  dot = 0;
  if (codec === SPARSE_F32) {
    addValues(section, indices, n, acc, reference, w);
  } else if (codec === SPARSE_F16) {
    for (let j: u32 = 0; j < n; j += CHUNK) {
      const count = min(CHUNK, n - j);
      halvesToF32(section, j, count, chunk);
      addValues(chunk, indices + ((<usize>j) << 2), count, acc, reference, w);
    }
  } else {
    const blocks = <u32>ceilDiv(n, b);
    const levels = section + ((<usize>blocks) << 2);
    let j: u32 = 0;
    for (let block: u32 = 0; block < blocks; block++) {
      const scale = load<f32>(section + ((<usize>block) << 2));
      const blockEnd = min(n, j + b);
      while (j < blockEnd) {
        const count = min(CHUNK, blockEnd - j);
        if (codec === SPARSE_Q8) q8ToF32(levels, j, count, scale, chunk);
        else q4ToF32(levels, j, count, scale, chunk);
        addValues(chunk, indices + ((<usize>j) << 2), count, acc, reference, w);
        j += count;
      }
    }
  }
  setStats(norm, dot);
}
