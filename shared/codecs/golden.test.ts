/**
 * Golden vectors (./golden-vectors.ts): the encoder writes them byte for byte, they decode
 * to the listed values, and docs/codecs.md lists the same vectors for implementers in
 * other languages; the last test checks that it does.
 */
import { describe, expect, it } from "vitest";
import codecsDoc from "../../docs/codecs.md?raw";
import { fromHex, parseFrame, toHex } from "../protocol/frame";
import { decodeToDense } from "./decoder";
import { inflatePayload } from "./deflate";
import { encodeUpdate } from "./encoder";
import { DEFLATED, dense, GOLDEN } from "./golden-vectors";
import { META } from "./test-helpers";

/** How docs/codecs.md writes a decoded vector: its nonzero values as index: value. */
function decodedText(values: Record<number, number>): string {
  return Object.entries(values)
    .map(([i, v]) => `${i}: ${v}`)
    .join(", ");
}

describe("golden vectors", () => {
  it.each(GOLDEN)("$name: the encoder writes exactly the golden bytes", ({ dim, input, options, hex }) => {
    expect(toHex(encodeUpdate(dense(dim, input), { ...META, ...options, random: () => 0.5 }))).toBe(hex);
  });

  it.each(GOLDEN)("$name: the golden bytes decode to exactly the listed values", ({ dim, hex, decoded }) => {
    const { header, payload } = parseFrame(fromHex(hex, hex.length / 2));
    expect(decodeToDense(header.codec, payload, header.dim)).toEqual(dense(dim, decoded));
  });

  it("deflated dense-f32: inflates to the dense-f32 frame of the same values and decodes to them", async () => {
    // Deflate output depends on the compressor (zlib version, level), so only decoding is golden.
    const frame = await inflatePayload(parseFrame(fromHex(DEFLATED.hex, DEFLATED.hex.length / 2)));
    const values = dense(16, DEFLATED.decoded);
    expect(frame).toEqual(parseFrame(encodeUpdate(values, META)));
    expect(decodeToDense(frame.header.codec, frame.payload, 16)).toEqual(values);
  });

  it("are all listed in docs/codecs.md, hex and decoded values", () => {
    for (const { hex, decoded } of [...GOLDEN, DEFLATED]) {
      expect(codecsDoc).toContain(hex);
      expect(codecsDoc).toContain(decodedText(decoded));
    }
  });
});
