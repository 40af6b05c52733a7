/**
 * Uniform doubles in [0, 1) with 53 random bits each, from the platform's cryptographic
 * generator (crypto.getRandomValues: Workers, browsers and Node alike), drawn in blocks.
 * The noise samplers take any `() => number` in [0, 1), so tests can pass a seeded one.
 */
export type Uniform = () => number;

export function cryptoUniform(): Uniform {
  const words = new Uint32Array(2048);
  let at = words.length;
  return () => {
    if (at + 2 > words.length) {
      crypto.getRandomValues(words);
      at = 0;
    }
    const hi = words[at++]! >>> 5;
    const lo = words[at++]! >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  };
}
