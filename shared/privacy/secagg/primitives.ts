/**
 * The cryptography secure aggregation needs, from Web Crypto alone (Workers, browsers and
 * Node have it): P-256 ECDH key agreement, HKDF-SHA-256, AES-GCM for the shares a device
 * sends another through the relay, and AES-128-CTR as the PRG that expands a 16-byte seed
 * into a mask of d words (native AES, faster than any PRG we could ship as WASM).
 */

export type Bytes = Uint8Array<ArrayBuffer>;

const ECDH = { name: "ECDH", namedCurve: "P-256" } as const;

export function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Bytes {
  const s = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function randomBytes(n: number): Bytes {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

export interface EcdhKeyPair {
  privateKey: CryptoKey;
  /** Uncompressed point, 65 bytes: 0x04 ‖ x ‖ y. */
  publicKey: Bytes;
}

/** A fresh P-256 key pair; `extractable` when its private key is to be secret-shared. */
export async function generateKeyPair(extractable: boolean): Promise<EcdhKeyPair> {
  const pair = (await crypto.subtle.generateKey(ECDH, extractable, ["deriveBits"])) as CryptoKeyPair;
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return { privateKey: pair.privateKey, publicKey };
}

/** The private scalar d (32 bytes) of an extractable key. */
export async function exportPrivateScalar(key: CryptoKey): Promise<Bytes> {
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  if (!jwk.d) throw new Error("the key has no private scalar");
  return fromBase64Url(jwk.d);
}

/** The private key with scalar d whose public key is `publicKey` (as reconstructed from shares). */
export function importPrivateScalar(d: Uint8Array, publicKey: Uint8Array): Promise<CryptoKey> {
  if (publicKey.length !== 65 || publicKey[0] !== 4)
    throw new RangeError("expected an uncompressed P-256 point");
  const jwk: JsonWebKey = {
    kty: "EC",
    crv: "P-256",
    d: toBase64Url(d),
    x: toBase64Url(publicKey.subarray(1, 33)),
    y: toBase64Url(publicKey.subarray(33, 65)),
    ext: true,
  };
  return crypto.subtle.importKey("jwk", jwk, ECDH, false, ["deriveBits"]);
}

/** HKDF-SHA-256(ECDH(mine, theirs), info) → `length` bytes. Refuses a point not on the curve. */
export async function agree(mine: CryptoKey, theirs: Uint8Array, info: string, length = 16): Promise<Bytes> {
  const peer = await crypto.subtle.importKey("raw", theirs as Bytes, ECDH, false, []);
  // Typed as `$public` in workers-types (a C++ keyword in workerd); the property is `public`.
  const params = { name: "ECDH", public: peer };
  const shared = await crypto.subtle.deriveBits(params, mine, 256);
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: new TextEncoder().encode(info) },
    ikm,
    8 * length,
  );
  return new Uint8Array(bits);
}

/** The PRG: AES-128-CTR keyed by `seed` (16 bytes) from counter 0, as `words` 32-bit words. */
export async function expand(seed: Uint8Array, words: number): Promise<Uint32Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", seed as Bytes, "AES-CTR", false, ["encrypt"]);
  const stream = await crypto.subtle.encrypt(
    { name: "AES-CTR", counter: new Uint8Array(16), length: 64 },
    key,
    new Uint8Array(4 * words),
  );
  return new Uint32Array(stream);
}

/** AES-128-GCM under `key` (16 bytes) with a random IV, bound to `context`: IV ‖ ciphertext. */
export async function seal(key: Uint8Array, plaintext: Uint8Array, context: string): Promise<Bytes> {
  const k = await crypto.subtle.importKey("raw", key as Bytes, "AES-GCM", false, ["encrypt"]);
  const iv = randomBytes(12);
  const data = new TextEncoder().encode(context);
  const body = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: data },
    k,
    plaintext as Bytes,
  );
  const out = new Uint8Array(12 + body.byteLength);
  out.set(iv);
  out.set(new Uint8Array(body), 12);
  return out;
}

/** Opens what `seal` made; throws if it was altered or sealed for another context. */
export async function open(key: Uint8Array, sealed: Uint8Array, context: string): Promise<Bytes> {
  const k = await crypto.subtle.importKey("raw", key as Bytes, "AES-GCM", false, ["decrypt"]);
  const data = new TextEncoder().encode(context);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.subarray(0, 12) as Bytes, additionalData: data },
    k,
    sealed.subarray(12) as Bytes,
  );
  return new Uint8Array(plain);
}
