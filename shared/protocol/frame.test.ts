import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeToDense } from "../codecs/decoder";
import { FedgeError } from "../errors";
import { Codec, encodeDenseF32Frame, FRAME_HEADER_BYTES, fromHex, parseFrame, toHex } from "./frame";

const meta = {
  baseVersion: 3,
  sampleWeight: 12.5,
  updateId: "00112233445566778899aabbccddeeff",
  layoutHash: "deadbeef",
};

describe("dense-f32 frames", () => {
  it("round-trip every header field and value", () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 1, maxLength: 300, noNaN: true, noDefaultInfinity: true }),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((b) => b.some((x) => x !== 0)),
        (values, baseVersion, id) => {
          const frame = parseFrame(
            encodeDenseF32Frame(values, { ...meta, baseVersion, updateId: toHex(id) }),
          );
          expect(frame.header).toMatchObject({
            dim: values.length,
            nnz: values.length,
            baseVersion,
            updateId: toHex(id),
          });
          expect(decodeToDense(Codec.DenseF32, frame.payload, values.length)).toEqual(values);
        },
      ),
    );
  });

  it("lays out the header little-endian at the documented offsets", () => {
    const bytes = encodeDenseF32Frame(Float32Array.of(1, -2.5), meta);
    expect(toHex(bytes)).toBe(
      "46454447" + // magic "FEDG"
        "01" + // format version
        "00" + // codec dense-f32
        "0000" + // flags
        "02000000" + // dim
        "02000000" + // nnz
        "03000000" + // base version
        "00004841" + // sample weight 12.5 (f32)
        "00112233445566778899aabbccddeeff" + // update id
        "deadbeef" + // layout hash
        "08000000" + // payload bytes
        "0000803f" + // 1.0
        "000020c0", // -2.5
    );
  });

  it("rejects every truncation with bad_frame, never a RangeError", () => {
    const bytes = encodeDenseF32Frame(Float32Array.of(1, 2, 3), meta);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => parseFrame(bytes.subarray(0, n))).toThrow(FedgeError);
    }
  });

  it("parses a frame that starts at an odd offset of its buffer", () => {
    const bytes = encodeDenseF32Frame(Float32Array.of(0.25, 4), meta);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const frame = parseFrame(shifted.subarray(1));
    expect(Array.from(decodeToDense(Codec.DenseF32, frame.payload, 2))).toEqual([0.25, 4]);
    expect(frame.payload.byteOffset).toBe(1 + FRAME_HEADER_BYTES);
  });

  it("rejects a non-finite value with non_finite_value naming its index", () => {
    const frame = parseFrame(encodeDenseF32Frame(Float32Array.of(0, Number.NaN), meta));
    expect(() => decodeToDense(Codec.DenseF32, frame.payload, 2)).toThrow(/index 1/);
  });
});

describe("hex", () => {
  it("rejects strings of the wrong length or alphabet", () => {
    expect(() => fromHex("abc", 2)).toThrow(RangeError);
    expect(() => fromHex("zz", 1)).toThrow(RangeError);
    expect(fromHex("0aFf", 2)).toEqual(Uint8Array.of(10, 255));
  });
});
