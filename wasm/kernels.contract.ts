/**
 * The one contract every KernelBackend must satisfy (shared/kernels/accumulator.ts).
 * Run against each backend from wasm/kernels.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Accumulator, KernelBackend } from "../shared/kernels/accumulator";
import { weightedSumInto } from "../shared/kernels/reference";
import { mulberry32 } from "../shared/model-init";
import { expectSameFloats } from "./same-floats";

function randomVector(next: () => number, n: number, scale: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (next() * 2 - 1) * scale;
  return v;
}

function filled(n: number, value: number): Float32Array {
  return new Float32Array(n).fill(value);
}

// Lengths around the kernel's 16-float unrolled body and 4-float vectors, so that every
// combination of main loop, vector tail and scalar tail runs; 2^16+5 floats also exceed a
// 64 KiB wasm page, forcing memory growth.
const LENGTHS = [1, 3, 4, 16, 17, 1023, 4099, 2 ** 16 + 5];

export function describeAccumulatorContract(backend: KernelBackend): void {
  describe(`Accumulator contract: ${backend.name}`, () => {
    it("adds w·x to a zeroed accumulator", () => {
      const acc = backend.createAccumulator(5);
      expect(acc.dim).toBe(5);
      expectSameFloats(acc.snapshot(), filled(5, 0));
      acc.addWeighted(new Float32Array([1, 2, 3, -4, 0.5]), 2);
      expectSameFloats(acc.snapshot(), new Float32Array([2, 4, 6, -8, 1]));
    });

    it.each(LENGTHS)(
      "accumulates several weighted inputs in order, matching a float64 oracle within f32 rounding (dim %i)",
      (dim) => {
        const next = mulberry32(0x5eed + dim);
        const acc = backend.createAccumulator(dim);
        const oracle = new Float64Array(dim);
        // Rigorous bound on the f32 error: each step rounds the product and the sum once,
        // each with relative error ≤ 2^-24; errors add up. 2^-23 doubles it for the slack
        // of the computed partial sums differing slightly from the exact ones.
        const bound = new Float64Array(dim);
        for (let step = 0; step < 6; step++) {
          const x = randomVector(next, dim, 10);
          const w = Math.fround((next() * 2 - 1) * 3);
          acc.addWeighted(x, w);
          for (let i = 0; i < dim; i++) {
            const p = w * (x[i] as number);
            oracle[i] = (oracle[i] as number) + p;
            bound[i] = (bound[i] as number) + (Math.abs(p) + Math.abs(oracle[i] as number)) * 2 ** -23;
          }
        }
        const sum = acc.snapshot();
        expect(sum).toBeInstanceOf(Float32Array);
        expect(sum.length).toBe(dim);
        let worst = -1;
        for (let i = 0; i < dim; i++) {
          const err = Math.abs((sum[i] as number) - (oracle[i] as number));
          if (err > (bound[i] as number) && worst === -1) worst = i;
        }
        if (worst !== -1) {
          expect.fail(`index ${worst}: got ${sum[worst]}, oracle ${oracle[worst]}, bound ${bound[worst]}`);
        }
      },
    );

    it("equals the f32 reference weightedSumInto bit-for-bit, for random inputs and weights (property)", () => {
      // Exact equality is expected: WebAssembly f32x4.mul/f32x4.add (and scalar f32 mul/add)
      // are IEEE-754 round-to-nearest with no fusing into FMA and no flushing of subnormals,
      // and the reference rounds to f32 after each operation (see shared/kernels/reference.ts).
      const steps = (dim: number) =>
        fc.array(
          fc.record({
            // Any f32, including NaN, ±Infinity, ±0 and subnormals.
            x: fc.float32Array({ minLength: dim, maxLength: dim }),
            w: fc.float({ noNaN: true, noDefaultInfinity: true }),
          }),
          { minLength: 1, maxLength: 5 },
        );
      const scenario = fc.integer({ min: 1, max: 70 }).chain((dim) => fc.tuple(fc.constant(dim), steps(dim)));
      fc.assert(
        fc.property(scenario, ([dim, inputs]) => {
          const acc = backend.createAccumulator(dim);
          const expected = new Float32Array(dim);
          for (const { x, w } of inputs) {
            acc.addWeighted(x, w);
            weightedSumInto(expected, x, w);
          }
          expectSameFloats(acc.snapshot(), expected);
        }),
        { seed: 20240601, numRuns: 300 },
      );
    });

    it("keeps separate accumulators independent", () => {
      const a = backend.createAccumulator(17);
      const b = backend.createAccumulator(17);
      const c = backend.createAccumulator(3);
      a.addWeighted(filled(17, 1), 2);
      expectSameFloats(b.snapshot(), filled(17, 0));
      expectSameFloats(c.snapshot(), filled(3, 0));
      b.addWeighted(filled(17, 1), -1);
      c.addWeighted(filled(3, 4), 1);
      expectSameFloats(a.snapshot(), filled(17, 2));
      expectSameFloats(b.snapshot(), filled(17, -1));
      expectSameFloats(c.snapshot(), filled(3, 4));
    });

    it("reset zeroes the sum, and accumulation continues from zero", () => {
      const acc = backend.createAccumulator(19);
      acc.addWeighted(filled(19, 3), 1.5);
      acc.reset();
      expectSameFloats(acc.snapshot(), filled(19, 0));
      acc.addWeighted(filled(19, 1), 0.25);
      expectSameFloats(acc.snapshot(), filled(19, 0.25));
    });

    it("snapshot is a copy: mutating it does not change the accumulator, nor later sums it", () => {
      const acc = backend.createAccumulator(6);
      acc.addWeighted(filled(6, 1), 1);
      const first = acc.snapshot();
      first.fill(42);
      expectSameFloats(acc.snapshot(), filled(6, 1));
      const second = acc.snapshot();
      acc.addWeighted(filled(6, 1), 1);
      expectSameFloats(second, filled(6, 1));
      expectSameFloats(acc.snapshot(), filled(6, 2));
    });

    it("does not keep a reference to x: mutating x after addWeighted changes nothing", () => {
      const acc = backend.createAccumulator(5);
      const x = filled(5, 1);
      acc.addWeighted(x, 1);
      x.fill(9);
      expectSameFloats(acc.snapshot(), filled(5, 1));
    });

    it("rejects x of the wrong length with a RangeError and leaves the sum unchanged", () => {
      const acc = backend.createAccumulator(8);
      acc.addWeighted(filled(8, 1), 1);
      for (const len of [0, 7, 9, 16]) {
        expect(() => acc.addWeighted(filled(len, 5), 1)).toThrow(RangeError);
      }
      expect(() => acc.addWeighted(filled(7, 5), 1)).toThrow(/length 7 .*dim 8/);
      expectSameFloats(acc.snapshot(), filled(8, 1));
    });

    it("rejects a non-finite weight (NaN, ±Infinity, or beyond the f32 range) with a RangeError and leaves the sum unchanged", () => {
      const acc = backend.createAccumulator(4);
      acc.addWeighted(filled(4, 1), 1);
      for (const w of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e39, -1e300]) {
        expect(() => acc.addWeighted(filled(4, 1), w)).toThrow(RangeError);
      }
      expect(() => acc.addWeighted(filled(4, 1), Number.NaN)).toThrow(/weight/);
      expectSameFloats(acc.snapshot(), filled(4, 1));
    });

    it("rejects a dim that is not a positive integer with a RangeError", () => {
      for (const dim of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => backend.createAccumulator(dim)).toThrow(RangeError);
      }
      expect(() => backend.createAccumulator(0)).toThrow(/positive integer/);
    });

    it("negative and zero weights: w = 0 leaves the sum unchanged, w = -1 undoes w = 1 exactly", () => {
      const dim = 21;
      const x = randomVector(mulberry32(7), dim, 100);
      const acc: Accumulator = backend.createAccumulator(dim);
      acc.addWeighted(x, 1);
      const once = acc.snapshot();
      acc.addWeighted(filled(dim, 12345), 0);
      expectSameFloats(acc.snapshot(), once);
      acc.addWeighted(x, -1);
      expectSameFloats(acc.snapshot(), filled(dim, 0));
      acc.addWeighted(x, -0.5);
      expectSameFloats(
        acc.snapshot(),
        x.map((v) => -0.5 * v),
      );
    });
  });
}
