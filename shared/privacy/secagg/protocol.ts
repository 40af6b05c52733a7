/**
 * Secure aggregation for one cluster round (Bonawitz et al., "Practical Secure Aggregation
 * for Privacy-Preserving Machine Learning", CCS 2017), with the cluster object as the
 * relay that learns only the sum of its members' updates:
 *
 * 1. Advertise: each device makes two P-256 key pairs, c (to encrypt to its peers) and s
 *    (to agree pairwise masks), and sends both public keys. The roster U1 fixes the order;
 *    device i's shares are evaluated at x = i + 1.
 * 2. Share keys: each device t-of-n shares its s private scalar and a fresh self-mask seed
 *    b, and sends every peer its two shares encrypted under their c agreement (AES-GCM,
 *    bound to round, sender and recipient). U2: those whose shares went out.
 * 3. Masked input: each device in U2 sends y = x + PRG(b) + Σ_v ±PRG(s-agreement with v)
 *    mod 2³², + for peers after it in the roster, − for those before; the pairwise masks
 *    cancel in the sum. U3: those whose y arrived.
 * 4. Unmask: each device in U3 reveals, for every member of U2, exactly one share: of b
 *    if it is in U3 (its self mask must go), of the s scalar if it is not (its pairwise
 *    masks, still in the others' y, must go). A device answers once, so with t > n/2 a
 *    relay that tells devices different stories still cannot gather t shares of both for
 *    one device — which is what unmasking that device's y would take.
 *
 * The relay is trusted to pass public keys unaltered (no PKI here: a relay that swaps keys
 * can read what it swapped); this is the honest-but-curious server of the paper's
 * semi-honest protocol, plus the refusal above.
 */
import {
  agree,
  type Bytes,
  type EcdhKeyPair,
  expand,
  exportPrivateScalar,
  fromBase64Url,
  generateKeyPair,
  importPrivateScalar,
  open,
  randomBytes,
  seal,
  toBase64Url,
} from "./primitives";
import { combine, type Share, split } from "./shamir";

export interface Advertisement {
  device: string;
  /** Base64url P-256 points: the encryption key c and the masking key s. */
  cPk: string;
  sPk: string;
}

export interface EncryptedShare {
  from: string;
  to: string;
  /** Base64url IV ‖ AES-GCM ciphertext of { s, b } (base64url share values). */
  ciphertext: string;
}

/** One share a survivor reveals in the unmasking round: of `of`'s self-mask seed, or of its s scalar. */
export interface UnmaskShare {
  of: string;
  kind: "self" | "key";
  y: string;
}

const shareContext = (round: string, from: string, to: string) => `fedge secagg share ${round} ${from} ${to}`;
const maskInfo = (round: string) => `fedge secagg mask ${round}`;
const channelInfo = (round: string) => `fedge secagg channel ${round}`;

/** The y ⊕ m operations mod 2³² (Uint32Array stores wrap). */
function addInto(target: Uint32Array, mask: Uint32Array, sign: 1 | -1): void {
  if (sign > 0) for (let i = 0; i < target.length; i++) target[i]! += mask[i]!;
  else for (let i = 0; i < target.length; i++) target[i]! -= mask[i]!;
}

/** The roster order: each device's evaluation point is its index + 1. */
function indexOf(roster: readonly Advertisement[], device: string): number {
  const i = roster.findIndex((a) => a.device === device);
  if (i < 0) throw new SecAggError(`${device} is not in the roster`);
  return i;
}

export class SecAggError extends Error {
  override readonly name = "SecAggError";
}

/** One device's side of one round. Holds its keys, its seed and the shares it was sent. */
export class SecAggClient {
  readonly #c: EcdhKeyPair;
  readonly #s: EcdhKeyPair;
  #roster: Advertisement[] | null = null;
  #threshold = 0;
  #seed: Bytes | null = null;
  /** Shares this device holds of each peer's s scalar and seed (its own included). */
  readonly #held = new Map<string, { s: Bytes; b: Bytes }>();
  #u2: string[] | null = null;
  #unmasked = false;

  private constructor(
    readonly device: string,
    readonly round: string,
    c: EcdhKeyPair,
    s: EcdhKeyPair,
  ) {
    this.#c = c;
    this.#s = s;
  }

  static async start(device: string, round: string): Promise<SecAggClient> {
    return new SecAggClient(device, round, await generateKeyPair(false), await generateKeyPair(true));
  }

  advertisement(): Advertisement {
    return { device: this.device, cPk: toBase64Url(this.#c.publicKey), sPk: toBase64Url(this.#s.publicKey) };
  }

  /** Round 2: shares of the s scalar and of a fresh seed, one pair per roster member, encrypted to each. */
  async shareKeys(roster: readonly Advertisement[], threshold: number): Promise<EncryptedShare[]> {
    if (this.#roster) throw new SecAggError("keys were already shared in this round");
    const me = roster[indexOf(roster, this.device)]!;
    const mine = this.advertisement();
    if (me.cPk !== mine.cPk || me.sPk !== mine.sPk)
      throw new SecAggError("the roster has other keys for this device");
    if (new Set(roster.map((a) => a.device)).size !== roster.length)
      throw new SecAggError("the roster lists a device twice");
    if (!(threshold > roster.length / 2 && threshold <= roster.length)) {
      throw new SecAggError(
        `threshold ${threshold} must be more than half the roster (${roster.length}) and at most all of it`,
      );
    }
    this.#roster = [...roster];
    this.#threshold = threshold;
    this.#seed = randomBytes(16);
    const sShares = split(await exportPrivateScalar(this.#s.privateKey), roster.length, threshold);
    const bShares = split(this.#seed, roster.length, threshold);
    const out: EncryptedShare[] = [];
    for (const [j, peer] of roster.entries()) {
      const pair = { s: sShares[j]!.y as Bytes, b: bShares[j]!.y as Bytes };
      if (peer.device === this.device) {
        this.#held.set(this.device, pair);
        continue;
      }
      const key = await agree(this.#c.privateKey, fromBase64Url(peer.cPk), channelInfo(this.round));
      const plain = new TextEncoder().encode(
        JSON.stringify({ s: toBase64Url(pair.s), b: toBase64Url(pair.b) }),
      );
      const sealed = await seal(key, plain, shareContext(this.round, this.device, peer.device));
      out.push({ from: this.device, to: peer.device, ciphertext: toBase64Url(sealed) });
    }
    return out;
  }

  /**
   * Round 3: the masked input. `incoming` are the shares addressed to this device; their
   * senders (and this device) are U2, the members whose pairwise masks are applied.
   */
  async maskedInput(x: Uint32Array, incoming: readonly EncryptedShare[]): Promise<Uint32Array<ArrayBuffer>> {
    const roster = this.#roster;
    if (!roster || !this.#seed) throw new SecAggError("share keys before sending a masked input");
    if (this.#u2) throw new SecAggError("a masked input was already sent in this round");
    for (const e of incoming) {
      if (e.to !== this.device) throw new SecAggError(`a share for ${e.to} was sent to ${this.device}`);
      const peer = roster[indexOf(roster, e.from)]!;
      const key = await agree(this.#c.privateKey, fromBase64Url(peer.cPk), channelInfo(this.round));
      const plain = await open(
        key,
        fromBase64Url(e.ciphertext),
        shareContext(this.round, e.from, this.device),
      );
      const { s, b } = JSON.parse(new TextDecoder().decode(plain)) as { s: string; b: string };
      this.#held.set(e.from, { s: fromBase64Url(s), b: fromBase64Url(b) });
    }
    const u2 = roster.map((a) => a.device).filter((d) => this.#held.has(d));
    if (u2.length < this.#threshold) {
      throw new SecAggError(`only ${u2.length} members shared keys; the round needs ${this.#threshold}`);
    }
    this.#u2 = u2;
    const y = Uint32Array.from(x);
    addInto(y, await expand(this.#seed, x.length), 1);
    const me = indexOf(roster, this.device);
    for (const v of u2) {
      if (v === this.device) continue;
      const j = indexOf(roster, v);
      const seed = await agree(this.#s.privateKey, fromBase64Url(roster[j]!.sPk), maskInfo(this.round));
      addInto(y, await expand(seed, x.length), j > me ? 1 : -1);
    }
    return y;
  }

  /**
   * Round 4: for each member of U2, the share that removes what is left of it: its seed's
   * if it is among `survivors` (U3), its s scalar's if not. Once per round only.
   */
  unmask(survivors: readonly string[]): UnmaskShare[] {
    const u2 = this.#u2;
    if (!u2) throw new SecAggError("send a masked input before unmasking");
    if (this.#unmasked) throw new SecAggError("this device has already revealed its shares for this round");
    const alive = new Set(survivors);
    if (alive.size !== survivors.length) throw new SecAggError("the survivors list a device twice");
    for (const d of alive)
      if (!u2.includes(d)) throw new SecAggError(`${d} did not share keys in this round`);
    if (!alive.has(this.device))
      throw new SecAggError("this device's masked input is not among the survivors");
    if (alive.size < this.#threshold) {
      throw new SecAggError(`${alive.size} survivors are fewer than the threshold ${this.#threshold}`);
    }
    this.#unmasked = true;
    return u2.map((v) => {
      const held = this.#held.get(v)!;
      return alive.has(v)
        ? { of: v, kind: "self" as const, y: toBase64Url(held.b) }
        : { of: v, kind: "key" as const, y: toBase64Url(held.s) };
    });
  }
}

/**
 * The relay's last step: Σ_{u∈U3} x_u mod 2³² from the masked inputs and the survivors'
 * shares. `responses` maps each responding survivor to what it revealed; at least
 * `threshold` must have answered. Throws SecAggError when the shares cannot unmask.
 */
export async function unmaskSum(o: {
  round: string;
  roster: readonly Advertisement[];
  /** Who shared keys (U2), in roster order. */
  shared: readonly string[];
  /** U3: each survivor's masked input. */
  masked: ReadonlyMap<string, Uint32Array>;
  responses: ReadonlyMap<string, readonly UnmaskShare[]>;
  threshold: number;
  dim: number;
}): Promise<Uint32Array<ArrayBuffer>> {
  if (o.responses.size < o.threshold) {
    throw new SecAggError(`${o.responses.size} survivors revealed shares; unmasking needs ${o.threshold}`);
  }
  const gather = (of: string, kind: UnmaskShare["kind"]): Share[] => {
    const shares: Share[] = [];
    for (const [responder, revealed] of o.responses) {
      const share = revealed.find((r) => r.of === of && r.kind === kind);
      if (share) shares.push({ x: indexOf(o.roster, responder) + 1, y: fromBase64Url(share.y) });
    }
    if (shares.length < o.threshold) {
      throw new SecAggError(
        `${shares.length} shares of ${of}'s ${kind === "self" ? "seed" : "key"}; needs ${o.threshold}`,
      );
    }
    return shares;
  };
  const sum = new Uint32Array(o.dim);
  for (const [device, y] of o.masked) {
    if (y.length !== o.dim)
      throw new SecAggError(`${device}'s masked input has ${y.length} words, not ${o.dim}`);
    addInto(sum, y, 1);
  }
  for (const device of o.masked.keys()) {
    addInto(sum, await expand(combine(gather(device, "self")), o.dim), -1);
  }
  // A member that shared keys but sent no input: its pairwise masks are in every survivor's y.
  for (const dropped of o.shared.filter((d) => !o.masked.has(d))) {
    const j = indexOf(o.roster, dropped);
    const key = await importPrivateScalar(combine(gather(dropped, "key")), fromBase64Url(o.roster[j]!.sPk));
    for (const survivor of o.masked.keys()) {
      const i = indexOf(o.roster, survivor);
      const seed = await agree(key, fromBase64Url(o.roster[i]!.sPk), maskInfo(o.round));
      // The survivor added it with + if the dropped member comes after it in the roster.
      addInto(sum, await expand(seed, o.dim), j > i ? -1 : 1);
    }
  }
  return sum;
}

/**
 * Fixed point for the masked sum: a value v in [−bound, bound] is round(v · scale) as an
 * int32 in two's complement, with scale chosen so that the sum of `participants` such
 * values stays within int32 — the sum mod 2³² is then the exact sum of the integers.
 */
export function fixedPointScale(bound: number, participants: number): number {
  if (!(bound > 0 && Number.isFinite(bound)))
    throw new RangeError(`bound must be finite and > 0, got ${bound}`);
  return (2 ** 31 - 1 - participants) / (participants * bound);
}

export function quantize(values: Float32Array, bound: number, scale: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.max(-bound, Math.min(bound, values[i]!));
    out[i] = Math.round(v * scale); // negative values wrap to two's complement
  }
  return out;
}

export function dequantize(sum: Uint32Array, scale: number): Float32Array {
  const signed = new Int32Array(sum.buffer, sum.byteOffset, sum.length);
  return Float32Array.from(signed, (v) => v / scale);
}
