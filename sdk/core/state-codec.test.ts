import { describe, expect, it } from "vitest";
import { decodeRecord, encodeRecord } from "./record";
import { decodeState, encodeState } from "./state-codec";

describe("record", () => {
  it("round-trips metadata and payload in one value", () => {
    const bytes = encodeRecord({ version: 3, etag: '"x"' }, Uint8Array.of(1, 2, 3));
    const { meta, payload } = decodeRecord<{ version: number }>(bytes);
    expect(meta).toEqual({ version: 3, etag: '"x"' });
    expect([...payload]).toEqual([1, 2, 3]);
  });

  it("refuses bytes whose header promises more metadata than there is", () => {
    const bytes = encodeRecord({ a: 1 }, new Uint8Array());
    expect(() => decodeRecord(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError);
    expect(() => decodeRecord(Uint8Array.of(1))).toThrow(RangeError);
  });
});

describe("encodeState / decodeState", () => {
  it("round-trips an error-feedback state: typed arrays at any depth, null, numbers", () => {
    // Prepare: the shape of shared/codecs/error-feedback.ts's state, with an odd-length array first
    // so that the next array's bytes start unaligned.
    const state = {
      step: 7,
      bytes: Uint8Array.of(9, 8, 7),
      residual: Float32Array.of(0.5, -1.25, 3e-8),
      velocity: null,
      history: [Float64Array.of(Math.PI), Int32Array.of(-3)],
      randomState: 123456789,
    };

    // Execute
    const restored = decodeState(encodeState(state)) as typeof state;

    // Assert
    expect(restored).toEqual(state);
    expect(restored.residual).toBeInstanceOf(Float32Array);
    expect(restored.history[0]).toBeInstanceOf(Float64Array);
  });

  it("round-trips a bare typed array, and undefined as null", () => {
    expect(decodeState(encodeState(Float32Array.of(1, 2)))).toEqual(Float32Array.of(1, 2));
    expect(decodeState(encodeState(undefined))).toBeNull();
  });

  it("stores a typed array as its raw bytes, not as JSON numbers", () => {
    const big = new Float32Array(10_000).fill(0.123456789);
    expect(encodeState(big).byteLength).toBeLessThan(40_000 + 200);
  });
});
