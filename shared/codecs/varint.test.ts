import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reasonOf as reasonOfCall } from "./test-helpers";
import { VarintReader, varintLength, writeVarint } from "./varint";

function encode(value: number): Uint8Array {
  const out = new Uint8Array(5);
  return out.subarray(0, writeVarint(out, 0, value));
}

function reasonOf(bytes: number[]): string {
  return reasonOfCall(() => new VarintReader(Uint8Array.from(bytes), 0, bytes.length).read());
}

describe("LEB128 varints", () => {
  it("round-trip every u32 in varintLength bytes", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (value) => {
        const bytes = encode(value);
        const reader = new VarintReader(bytes, 0, bytes.length);
        expect(reader.read()).toBe(value);
        expect(reader.position).toBe(bytes.length);
        expect(bytes.length).toBe(varintLength(value));
      }),
    );
  });

  it("write 7 bits per byte, least significant group first", () => {
    expect(Array.from(encode(0))).toEqual([0x00]);
    expect(Array.from(encode(127))).toEqual([0x7f]);
    expect(Array.from(encode(128))).toEqual([0x80, 0x01]);
    expect(Array.from(encode(300))).toEqual([0xac, 0x02]);
    expect(Array.from(encode(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it("refuse a varint that runs past the end of its section as truncated", () => {
    expect(reasonOf([0x80])).toBe("truncated");
    expect(reasonOf([])).toBe("truncated");
  });

  it("refuse a sixth byte or a value of 2³² or more as varint_overflow", () => {
    expect(reasonOf([0xff, 0xff, 0xff, 0xff, 0x8f, 0x01])).toBe("varint_overflow");
    expect(reasonOf([0x80, 0x80, 0x80, 0x80, 0x10])).toBe("varint_overflow");
  });

  it("refuse a longer-than-shortest encoding as varint_overlong", () => {
    expect(reasonOf([0x80, 0x00])).toBe("varint_overlong");
    expect(reasonOf([0xff, 0x80, 0x80, 0x80, 0x00])).toBe("varint_overlong");
    expect(reasonOf([0x00])).toBe("ok");
  });

  it("never read at or past the end it was given", () => {
    // A valid two-byte varint whose second byte lies just past the section's end.
    const bytes = Uint8Array.of(0x80, 0x01);
    expect(reasonOfCall(() => new VarintReader(bytes, 0, 1).read())).toBe("truncated");
  });
});
