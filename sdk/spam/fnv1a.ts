/**
 * 32-bit FNV-1a (Fowler, Noll and Vo; draft-eastlake-fnv, §2) over a string's UTF-8
 * bytes. Feature ids must be identical on every device and in every runtime, so the hash
 * is written out rather than taken from a platform. The string is UTF-8-encoded inline, as
 * TextEncoder would encode it (a lone surrogate as U+FFFD), without an allocation per token.
 */
const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

export function fnv1a(text: string): number {
  let hash = OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      hash = Math.imul(hash ^ c, PRIME);
      continue;
    }
    if (c < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (c >> 6)), PRIME);
      hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), PRIME);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const low = text.charCodeAt(i + 1);
      if (c < 0xdc00 && low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
        hash = Math.imul(hash ^ (0xf0 | (c >> 18)), PRIME);
        hash = Math.imul(hash ^ (0x80 | ((c >> 12) & 0x3f)), PRIME);
        hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), PRIME);
        hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), PRIME);
        continue;
      }
      c = 0xfffd;
    }
    hash = Math.imul(hash ^ (0xe0 | (c >> 12)), PRIME);
    hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), PRIME);
    hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), PRIME);
  }
  return hash >>> 0;
}
