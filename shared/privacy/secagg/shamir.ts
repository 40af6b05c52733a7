/**
 * Shamir's t-of-n secret sharing (Shamir, CACM 1979), byte by byte over GF(2⁸) with the
 * AES polynomial x⁸ + x⁴ + x³ + x + 1: each byte of the secret is the constant term of
 * its own random polynomial of degree t − 1, and share x holds every polynomial's value
 * at x (1 … 255). Any t shares give the secret by Lagrange interpolation at 0; fewer
 * reveal nothing about it.
 */

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  // 3 generates GF(2⁸)*: EXP[i] = 3^i, doubled so that EXP[LOG a + LOG b] needs no reduction.
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    EXP[i + 255] = x;
    LOG[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

function div(a: number, b: number): number {
  if (b === 0) throw new RangeError("division by zero in GF(2⁸)");
  return a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!;
}

export interface Share {
  /** The evaluation point, 1 … 255. */
  x: number;
  y: Uint8Array;
}

/** Splits `secret` into shares at x = 1 … n, any `threshold` of which recover it. */
export function split(
  secret: Uint8Array,
  n: number,
  threshold: number,
  random: (bytes: Uint8Array<ArrayBuffer>) => void = (b) => crypto.getRandomValues(b),
): Share[] {
  if (!(Number.isInteger(n) && n >= 1 && n <= 255)) throw new RangeError(`n must be 1 … 255, got ${n}`);
  if (!(Number.isInteger(threshold) && threshold >= 1 && threshold <= n)) {
    throw new RangeError(`threshold must be 1 … n (${n}), got ${threshold}`);
  }
  // coefficients[k][i]: the k-th coefficient (k ≥ 1) of byte i's polynomial.
  const coefficients = Array.from({ length: threshold - 1 }, () => {
    const c = new Uint8Array(secret.length);
    random(c);
    return c;
  });
  return Array.from({ length: n }, (_, s) => {
    const x = s + 1;
    const y = new Uint8Array(secret.length);
    for (let i = 0; i < secret.length; i++) {
      // Horner: ((c_{t-1}·x + c_{t-2})·x + …)·x + secret
      let v = 0;
      for (let k = threshold - 2; k >= 0; k--) v = mul(v, x) ^ coefficients[k]![i]!;
      y[i] = mul(v, x) ^ secret[i]!;
    }
    return { x, y };
  });
}

/** The secret from at least `threshold` shares with distinct x (fewer give a wrong answer, not an error). */
export function combine(shares: readonly Share[]): Uint8Array {
  if (shares.length === 0) throw new RangeError("no shares to combine");
  const length = shares[0]!.y.length;
  const xs = shares.map((s) => s.x);
  if (new Set(xs).size !== xs.length) throw new RangeError("shares must have distinct x");
  if (shares.some((s) => s.y.length !== length || s.x < 1 || s.x > 255)) {
    throw new RangeError("shares must have x in 1 … 255 and the same length");
  }
  // Lagrange basis at 0: ℓ_j(0) = Π_{m≠j} x_m / (x_m − x_j); subtraction is XOR in GF(2⁸).
  const basis = xs.map((xj, j) => {
    let num = 1;
    let den = 1;
    xs.forEach((xm, m) => {
      if (m === j) return;
      num = mul(num, xm);
      den = mul(den, xm ^ xj);
    });
    return div(num, den);
  });
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    let v = 0;
    shares.forEach((s, j) => {
      v ^= mul(s.y[i]!, basis[j]!);
    });
    out[i] = v;
  }
  return out;
}
