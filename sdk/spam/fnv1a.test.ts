import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fnv1a } from "./fnv1a";

/** FNV-1a exactly as specified: over the bytes TextEncoder produces. */
function reference(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

describe("fnv1a", () => {
  it("matches the published 32-bit FNV-1a test vectors", () => {
    // draft-eastlake-fnv, Appendix C test vectors.
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("hashes the UTF-8 encoding of any string, lone surrogates as U+FFFD", () => {
    for (const text of ["é", "€", "😀", "naïve façade", "\ud800", "a\udc00b", "\ud83d"]) {
      expect(fnv1a(text)).toBe(reference(text));
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => fnv1a(text) === reference(text)),
      { numRuns: 2000 },
    );
  });
});
