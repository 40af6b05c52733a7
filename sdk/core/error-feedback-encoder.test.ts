import { describe, expect, it } from "vitest";
import { decodeToDense } from "../../shared/codecs/decoder";
import { parseFrame } from "../../shared/protocol/frame";
import { errorFeedbackEncoder } from "./error-feedback-encoder";

const meta = {
  baseVersion: 0,
  sampleWeight: 1,
  updateId: "0123456789abcdef0123456789abcdef",
  layoutHash: "deadbeef",
};

function decoded(frame: Uint8Array, dim: number): Float32Array {
  const { header, payload } = parseFrame(frame);
  return decodeToDense(header.codec, payload, dim);
}

function update(dim: number, seed: number): Float32Array {
  return Float32Array.from({ length: dim }, (_, i) => Math.sin(seed * 31 + i * 0.7));
}

describe("the SDK's error-feedback encoder", () => {
  it("sends at the assigned density and carries the rest: Σ sent + residual = Σ updates", async () => {
    const dim = 400;
    const encoder = errorFeedbackEncoder({ seed: 3 });
    const sent = new Float64Array(dim);
    const total = new Float64Array(dim);
    for (let t = 0; t < 5; t++) {
      const u = update(dim, t);
      const frame = await encoder.encode(u, meta, { density: 0.05, bits: 8 });
      expect(frame.byteLength).toBeLessThan(48 + dim);
      const d = decoded(frame, dim);
      for (let i = 0; i < dim; i++) {
        sent[i]! += d[i]!;
        total[i]! += u[i]!;
      }
    }
    const { residual } = encoder.saveState!() as { residual: Float32Array };
    for (let i = 0; i < dim; i++) expect(sent[i]! + residual[i]!).toBeCloseTo(total[i]!, 4);
  });

  it("resumes from a saved state after a restart, residual included", async () => {
    const dim = 64;
    const first = errorFeedbackEncoder({ seed: 1 });
    await first.encode(update(dim, 1), meta, { density: 0.1, bits: 8 });
    const state = first.saveState?.();

    const restarted = errorFeedbackEncoder();
    restarted.restoreState?.(state);
    expect(restarted.saveState?.()).toEqual(state);
    const a = await first.encode(update(dim, 2), meta, { density: 0.1, bits: 8 });
    const b = await restarted.encode(update(dim, 2), meta, { density: 0.1, bits: 8 });
    expect(b).toEqual(a);
  });

  it("keeps the residual when the server changes the assignment", async () => {
    const dim = 64;
    const encoder = errorFeedbackEncoder({ seed: 2 });
    await encoder.encode(update(dim, 1), meta, { density: 0.1, bits: 8 });
    const owed = (encoder.saveState!() as { residual: Float32Array }).residual;
    expect(owed.some((x) => x !== 0)).toBe(true);
    // Dense f32 now: everything owed goes out with the new update.
    const frame = await encoder.encode(new Float32Array(dim), meta, { density: 1, bits: 32 });
    expect(Array.from(decoded(frame, dim))).toEqual(Array.from(owed));
  });

  it("refuses bits it cannot encode", () => {
    expect(() => errorFeedbackEncoder().encode(new Float32Array(4), meta, { bits: 12 })).toThrow(RangeError);
  });
});
