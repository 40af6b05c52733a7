/**
 * Gaussian noise for the DP mechanism, from the platform's cryptographic generator
 * (crypto.getRandomValues: Workers, browsers and Node alike), by the Box–Muller transform
 * on 53-bit uniforms. Floating-point samplers leak through their low bits (Mironov,
 * CCS 2012); the distributed mode's discrete Gaussian (Canonne et al. 2020) is the
 * remedy where that matters.
 */

/** Fills a buffer with random 32-bit words: crypto.getRandomValues, or a seeded source in tests. */
export type RandomWords = (words: Uint32Array<ArrayBuffer>) => void;

const cryptoWords: RandomWords = (words) => {
  // getRandomValues fills at most 65,536 bytes per call.
  for (let at = 0; at < words.length; at += 16_384) crypto.getRandomValues(words.subarray(at, at + 16_384));
};

const TWO_POW_53 = 9007199254740992;

/** Adds an independent N(0, std²) draw to each value, in place. */
export function addGaussianNoise(values: Float32Array, std: number, random: RandomWords = cryptoWords): void {
  if (!(std >= 0 && Number.isFinite(std)))
    throw new RangeError(`noise std must be finite and ≥ 0, got ${std}`);
  if (std === 0) return;
  const pairs = Math.ceil(values.length / 2);
  const words = new Uint32Array(4 * pairs);
  random(words);
  for (let p = 0; p < pairs; p++) {
    // Two uniforms with 53 random bits each; u1 in (0, 1] so that its log is finite.
    const u1 = 1 - ((words[4 * p]! >>> 5) * 67108864 + (words[4 * p + 1]! >>> 6)) / TWO_POW_53;
    const u2 = ((words[4 * p + 2]! >>> 5) * 67108864 + (words[4 * p + 3]! >>> 6)) / TWO_POW_53;
    const r = std * Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    values[2 * p] = values[2 * p]! + r * Math.cos(theta);
    if (2 * p + 1 < values.length) values[2 * p + 1] = values[2 * p + 1]! + r * Math.sin(theta);
  }
}
