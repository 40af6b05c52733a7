import { describe, expect, it } from "vitest";
import { Codec, codecInfo, codecName, SUPPORTED_CODECS } from "./ids";

describe("codec ids", () => {
  it("name every codec, in id order, for registration to advertise", () => {
    expect(SUPPORTED_CODECS).toEqual([
      "dense-f32",
      "dense-f16",
      "sparse-f32",
      "sparse-f16",
      "sparse-q8",
      "sparse-q4",
    ]);
    expect(SUPPORTED_CODECS.map((_, id) => codecName(id))).toEqual(SUPPORTED_CODECS);
  });

  it("describe each codec's layout and value coding", () => {
    expect(codecInfo(Codec.DenseF16)).toEqual({ name: "dense-f16", sparse: false, values: "f16" });
    expect(codecInfo(Codec.SparseQ4)).toEqual({ name: "sparse-q4", sparse: true, values: "q4" });
  });

  it("know nothing of reserved ids", () => {
    expect(codecInfo(6)).toBeUndefined();
    expect(codecName(200)).toBe("unknown(200)");
  });
});
