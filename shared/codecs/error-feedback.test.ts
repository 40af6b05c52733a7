import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFrame } from "../protocol/frame";
import { decodePayload, decodeToDense } from "./decoder";
import type { ValueBits } from "./encoder";
import { ErrorFeedbackEncoder, type ErrorFeedbackOptions } from "./error-feedback";
import { META } from "./test-helpers";

function decoded(frame: Uint8Array): Float32Array {
  const { header, payload } = parseFrame(frame);
  return decodeToDense(header.codec, payload, header.dim);
}

function sentIndices(frame: Uint8Array): number[] {
  const { header, payload } = parseFrame(frame);
  const { indices } = decodePayload(header.codec, payload, header.dim);
  return indices ? Array.from(indices) : Array.from({ length: header.dim }, (_, i) => i);
}

const runs = fc.integer({ min: 1, max: 64 }).chain((dim) =>
  fc.record({
    dim: fc.constant(dim),
    steps: fc.array(fc.float32Array({ minLength: dim, maxLength: dim, min: -100, max: 100, noNaN: true }), {
      minLength: 1,
      maxLength: 8,
    }),
    density: fc.option(fc.double({ min: 0.05, max: 1, noNaN: true }), { nil: undefined }),
    bits: fc.constantFrom<ValueBits>(32, 16, 8, 4),
    seed: fc.nat(),
  }),
);

/** max |a − b| over f64 sums; the f32 rounding allowed is a few ulps of the largest magnitude involved. */
function expectClose(actual: Float64Array, expected: Float64Array, scale: number, steps: number) {
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(4 * steps * scale * 2 ** -23 + 1e-30);
  }
}

describe("ErrorFeedbackEncoder", () => {
  it("reports what the last frame left out: ‖residual‖ / ‖update + carried residual‖ (0 when all was sent, null before any)", () => {
    const update = Float32Array.from({ length: 100 }, (_, i) => (i % 7) - 3 + i / 50);
    const dense = new ErrorFeedbackEncoder({ dim: 100, density: 1, bits: 32 });
    expect(dense.residualRatio).toBeNull();
    dense.encode(update, META);
    expect(dense.residualRatio).toBe(0);
    const sparse = new ErrorFeedbackEncoder({ dim: 100, density: 0.1, bits: 32 });
    sparse.encode(update, META);
    const sent = decoded(sparse.encode(update, META));
    // The second frame owed update + the first frame's residual; what it left is the new residual.
    const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
    const residual = sparse.residual;
    const owed = residual.map((r, i) => r + sent[i]!);
    expect(sparse.residualRatio).toBeCloseTo(norm(residual) / norm(owed), 6);
    expect(sparse.residualRatio).toBeGreaterThan(0.5);
  });

  it("loses nothing: Σ decoded updates + the final residual = Σ raw updates, to f32 rounding", () => {
    fc.assert(
      fc.property(runs, ({ dim, steps, density, bits, seed }) => {
        // Prepare
        const encoder = new ErrorFeedbackEncoder({ dim, density, bits, seed });
        const sent = new Float64Array(dim);
        const raw = new Float64Array(dim);
        let scale = 0;
        // Execute
        for (const update of steps) {
          const x = decoded(encoder.encode(update, META));
          for (let i = 0; i < dim; i++) {
            sent[i]! += x[i]!;
            raw[i]! += update[i]!;
            scale = Math.max(scale, Math.abs(raw[i]!), Math.abs(sent[i]!), Math.abs(x[i]!));
          }
        }
        // Assert
        const residual = encoder.residual;
        expectClose(
          sent.map((s, i) => s + residual[i]!),
          raw,
          scale,
          steps.length,
        );
      }),
    );
  });

  it("with DGC momentum correction, Σ decoded + residual = Σ velocities uₜ = m·uₜ₋₁ + Δₜ, masked or not", () => {
    fc.assert(
      fc.property(runs, fc.boolean(), ({ dim, steps, density, bits, seed }, maskMomentum) => {
        // Prepare
        const m = 0.9;
        const encoder = new ErrorFeedbackEncoder({ dim, density, bits, seed, momentum: m, maskMomentum });
        const sent = new Float64Array(dim);
        const velocities = new Float64Array(dim);
        let scale = 0;
        // Execute
        for (const update of steps) {
          const previous = encoder.velocity!;
          const u = update.map((g, i) => m * previous[i]! + g);
          const frame = encoder.encode(update, META);
          const x = decoded(frame);
          for (let i = 0; i < dim; i++) {
            sent[i]! += x[i]!;
            velocities[i]! += u[i]!;
            scale = Math.max(scale, Math.abs(velocities[i]!), Math.abs(sent[i]!), Math.abs(x[i]!));
          }
          // Assert (masking): velocity is zeroed exactly where values were sent.
          const velocity = encoder.velocity!;
          const sentHere = new Set(sentIndices(frame));
          for (let i = 0; i < dim; i++) {
            expect(velocity[i]).toBe(maskMomentum && sentHere.has(i) ? 0 : u[i]);
          }
        }
        // Assert
        const residual = encoder.residual;
        expectClose(
          sent.map((s, i) => s + residual[i]!),
          velocities,
          scale,
          2 * steps.length,
        );
      }),
    );
  });

  it("carries what top-k skipped into the next update", () => {
    // One value per update from [1, 0.5]: the 0.5s pile up until they win.
    const encoder = new ErrorFeedbackEncoder({ dim: 2, density: 0.5, seed: 1 });
    const update = Float32Array.of(1, 0.5);
    expect(Array.from(decoded(encoder.encode(update, META)))).toEqual([1, 0]);
    expect(Array.from(encoder.residual)).toEqual([0, 0.5]);
    expect(Array.from(decoded(encoder.encode(update, META)))).toEqual([1, 0]); // tie 1 vs 1: lower index
    expect(Array.from(decoded(encoder.encode(update, META)))).toEqual([0, 1.5]);
    expect(Array.from(encoder.residual)).toEqual([1, 0]);
  });

  it("carries quantization error too: a 4-bit update leaves a residual of less than one step", () => {
    const encoder = new ErrorFeedbackEncoder({ dim: 3, bits: 4, seed: 9 });
    const update = Float32Array.of(0.7, 0.1, 0.05);
    const x = decoded(encoder.encode(update, META));
    const residual = encoder.residual;
    for (let i = 0; i < 3; i++) {
      expect(residual[i]).toBeCloseTo(update[i]! - x[i]!, 7);
      expect(Math.abs(residual[i]!)).toBeLessThan(0.7 / 7 + 1e-6);
    }
  });

  it("resumes from a saved state exactly where it stopped (state survives structured clone)", () => {
    // Prepare
    const options: ErrorFeedbackOptions = {
      dim: 50,
      density: 0.1,
      bits: 8,
      momentum: 0.5,
      maskMomentum: true,
      seed: 3,
    };
    const updates = Array.from({ length: 6 }, (_, t) =>
      Float32Array.from({ length: 50 }, (_, i) => Math.sin(i * t + 1)),
    );
    const original = new ErrorFeedbackEncoder(options);
    for (const u of updates.slice(0, 3)) original.encode(u, META);
    // Execute
    const restored = ErrorFeedbackEncoder.fromState(options, structuredClone(original.state()));
    // Assert
    expect(restored.step).toBe(3);
    for (const u of updates.slice(3)) expect(restored.encode(u, META)).toEqual(original.encode(u, META));
    expect(restored.state()).toEqual(original.state());
  });

  it("asks a density schedule for each update's density by update number (DGC warm-up)", () => {
    const asked: number[] = [];
    const encoder = new ErrorFeedbackEncoder({
      dim: 100,
      density: (t) => {
        asked.push(t);
        return 0.25 ** (t + 1);
      },
    });
    const nnz = [0, 1, 2].map(
      () => parseFrame(encoder.encode(new Float32Array(100).fill(1), META)).header.nnz,
    );
    expect(asked).toEqual([0, 1, 2]);
    expect(nnz).toEqual([25, 6, 2]);
  });

  it("is exact for dense-f32: nothing is ever left over", () => {
    const encoder = new ErrorFeedbackEncoder({ dim: 3 });
    encoder.encode(Float32Array.of(1.5, -2, 1e-30), META);
    expect(Array.from(encoder.residual)).toEqual([0, 0, 0]);
  });

  it("refuses bad updates with a RangeError and keeps its state", () => {
    const encoder = new ErrorFeedbackEncoder({ dim: 2, density: 0.5, seed: 5 });
    encoder.encode(Float32Array.of(1, 0.5), META);
    const before = encoder.state();
    expect(() => encoder.encode(Float32Array.of(1), META)).toThrow(RangeError);
    expect(() => encoder.encode(Float32Array.of(1, Number.NaN), META)).toThrow(RangeError);
    expect(encoder.state()).toEqual(before);
  });

  it("refuses invalid options and states that do not match them", () => {
    expect(() => new ErrorFeedbackEncoder({ dim: 0 })).toThrow(RangeError);
    expect(() => new ErrorFeedbackEncoder({ dim: 2, momentum: 1 })).toThrow(RangeError);
    expect(() => new ErrorFeedbackEncoder({ dim: 2, maskMomentum: true })).toThrow(RangeError);
    const state = new ErrorFeedbackEncoder({ dim: 2, seed: 1 }).state();
    expect(() => ErrorFeedbackEncoder.fromState({ dim: 3 }, state)).toThrow(RangeError);
    expect(() => ErrorFeedbackEncoder.fromState({ dim: 2, momentum: 0.9 }, state)).toThrow(RangeError);
    expect(() => ErrorFeedbackEncoder.fromState({ dim: 2 }, { ...state, step: -1 })).toThrow(RangeError);
    expect(() =>
      ErrorFeedbackEncoder.fromState({ dim: 2 }, { ...state, residual: Float32Array.of(0, Number.NaN) }),
    ).toThrow(RangeError);
  });
});
