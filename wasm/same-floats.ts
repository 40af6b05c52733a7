/** Bit-for-bit comparison of f32 arrays for the kernel contract suites. */
import { expect } from "vitest";

/**
 * Index of the first element where a and b differ, comparing with Object.is: bit-for-bit
 * except that every NaN equals every NaN (NaN payloads are not portable across engines),
 * and +0 differs from -0. Returns -1 if none.
 */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

export function expectSameFloats(actual: Float32Array, expected: Float32Array): void {
  const i = firstDifference(actual, expected);
  if (i !== -1) {
    expect.fail(`differs at index ${i}: got ${actual[i]}, expected ${expected[i]} (length ${actual.length})`);
  }
}
