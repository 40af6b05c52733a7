import { describe, expect, it } from "vitest";
import { correlation, seededVector } from "../../../test/fixtures";
import {
  type Advertisement,
  dequantize,
  type EncryptedShare,
  fixedPointScale,
  quantize,
  SecAggClient,
  SecAggError,
  type UnmaskShare,
  unmaskSum,
} from "./protocol";
import { combine, split } from "./shamir";

const DIM = 1000;
const BOUND = 1;

describe("Shamir sharing over GF(2⁸)", () => {
  it("recovers the secret from any t shares, and not from t − 1", () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    const shares = split(secret, 7, 4);
    for (const pick of [
      [0, 1, 2, 3],
      [6, 4, 2, 0],
      [1, 3, 5, 6],
      [0, 1, 2, 3, 4, 5, 6],
    ]) {
      expect(combine(pick.map((i) => shares[i]!))).toEqual(secret);
    }
    expect(combine(shares.slice(0, 3))).not.toEqual(secret);
  });

  it("evaluates the polynomial in GF(2⁸) with the AES reduction: 0x57 · 0x83 = 0xc1 (FIPS-197 §4.2)", () => {
    // Secret 0, one coefficient 0x57: the share at x is 0x57 · x.
    const shares = split(Uint8Array.of(0), 131, 2, (b) => b.fill(0x57));
    expect(shares[0x83 - 1]!.y[0]).toBe(0xc1);
    expect(shares[0]!.y[0]).toBe(0x57);
  });

  it("refuses repeated evaluation points, and a threshold outside 1 … n", () => {
    const shares = split(Uint8Array.of(1, 2), 3, 2);
    expect(() => combine([shares[0]!, shares[0]!])).toThrow(/distinct x/);
    expect(() => split(Uint8Array.of(1), 3, 4)).toThrow(/threshold/);
    expect(() => split(Uint8Array.of(1), 256, 2)).toThrow(/n must be/);
  });
});

describe("fixed point", () => {
  it("round-trips within half a step, and n values at the bound sum without leaving int32", () => {
    const scale = fixedPointScale(BOUND, 10);
    const x = Float32Array.of(1, -1, 0.25, -0.3333, 0);
    const back = dequantize(quantize(x, BOUND, scale), scale);
    const worst = Math.max(...Array.from(x, (v, i) => Math.abs(back[i]! - v) - 1e-7 * Math.abs(v)));
    expect(worst).toBeLessThanOrEqual(0.5 / scale);
    const sum = new Uint32Array(1);
    for (let i = 0; i < 10; i++) sum[0]! += quantize(Float32Array.of(1), BOUND, scale)[0]!;
    expect(dequantize(sum, scale)[0]).toBeCloseTo(10, 6);
  });
});

/** A cluster of n devices running a round through an honest relay; `drop` says who leaves when. */
async function round(
  n: number,
  threshold: number,
  drop: { afterKeys?: number[]; afterShares?: number[]; afterMasking?: number[] } = {},
  unmask = true,
) {
  const name = "r1";
  const clients = await Promise.all(Array.from({ length: n }, (_, i) => SecAggClient.start(`d${i}`, name)));
  const roster: Advertisement[] = clients.map((c) => c.advertisement());
  const alive = (i: number, stage: keyof typeof drop) => !(drop[stage] ?? []).includes(i);
  const sharing = clients.filter((_, i) => alive(i, "afterKeys"));
  const outbox: EncryptedShare[] = (
    await Promise.all(sharing.map((c) => c.shareKeys(roster, threshold)))
  ).flat();
  const shared = roster.map((a) => a.device).filter((d) => sharing.some((c) => c.device === d));
  const scale = fixedPointScale(BOUND, n);
  const inputs = clients.map((_, i) => quantize(seededVector(i + 1, DIM), BOUND, scale));
  const masked = new Map<string, Uint32Array>();
  for (const [i, c] of clients.entries()) {
    if (!alive(i, "afterKeys") || !alive(i, "afterShares")) continue;
    masked.set(
      c.device,
      await c.maskedInput(
        inputs[i]!,
        outbox.filter((e) => e.to === c.device),
      ),
    );
  }
  const survivors = [...masked.keys()];
  const responses = new Map<string, UnmaskShare[]>();
  for (const [i, c] of clients.entries()) {
    if (unmask && masked.has(c.device) && alive(i, "afterMasking"))
      responses.set(c.device, c.unmask(survivors));
  }
  const expected = new Uint32Array(DIM);
  for (const [i, c] of clients.entries()) {
    if (masked.has(c.device)) for (let j = 0; j < DIM; j++) expected[j]! += inputs[i]![j]!;
  }
  return { clients, roster, shared, masked, responses, expected, inputs, scale, name };
}

describe("secure aggregation in a cluster", () => {
  it("gives the relay exactly the sum of the inputs when everyone stays", async () => {
    const r = await round(5, 3);
    const sum = await unmaskSum({ round: r.name, ...r, threshold: 3, dim: DIM });
    expect(sum).toEqual(r.expected);
    // …which is the plain sum of the updates within the fixed-point step.
    const plain = new Float64Array(DIM);
    for (let i = 0; i < 5; i++) {
      const x = seededVector(i + 1, DIM);
      for (let j = 0; j < DIM; j++) plain[j]! += x[j]!;
    }
    const back = dequantize(sum, r.scale);
    expect(Math.max(...back.map((v, j) => Math.abs(v - plain[j]!)))).toBeLessThan(1e-6);
  });

  it("removes the pairwise masks of members that shared keys and then dropped (20% of the cluster)", async () => {
    const r = await round(10, 6, { afterShares: [3, 7] });
    expect([...r.masked.keys()]).toHaveLength(8);
    expect(await unmaskSum({ round: r.name, ...r, threshold: 6, dim: DIM })).toEqual(r.expected);
  });

  it("still unmasks when survivors stop answering, as long as t of them reveal their shares", async () => {
    const r = await round(10, 6, { afterKeys: [0], afterShares: [5], afterMasking: [1, 2] });
    expect(r.responses.size).toBe(6);
    expect(await unmaskSum({ round: r.name, ...r, threshold: 6, dim: DIM })).toEqual(r.expected);
  });

  it("abandons the round with a clear reason when fewer than t reveal their shares", async () => {
    const r = await round(5, 3, { afterMasking: [0, 1, 2] });
    await expect(unmaskSum({ round: r.name, ...r, threshold: 3, dim: DIM })).rejects.toThrow(
      /2 survivors revealed shares; unmasking needs 3/,
    );
  });

  it("hides each input: a masked input is uncorrelated with the update it carries", async () => {
    const r = await round(5, 3);
    const y = new Int32Array(r.masked.get("d0")!.buffer);
    const x = new Int32Array(r.inputs[0]!.buffer);
    // Uniform masks: |correlation| is about 1/√d; 5/√d is far in the tail.
    expect(Math.abs(correlation(x, y))).toBeLessThan(5 / Math.sqrt(DIM));
  });

  it("lets a relay that tells devices different stories unmask no one: each reveals once, and t > n/2", async () => {
    const r = await round(5, 3, {}, false);
    // The relay tells d1, d2 that d0 survived (asking for its seed's shares) and d3, d4 that it dropped.
    const others = r.roster.map((a) => a.device).filter((d) => d !== "d0");
    const seedShares = [
      r.clients[1]!.unmask(r.roster.map((a) => a.device)),
      r.clients[2]!.unmask(r.roster.map((a) => a.device)),
    ];
    const keyShares = [r.clients[3]!.unmask(others), r.clients[4]!.unmask(others)];
    expect(
      seedShares
        .flat()
        .filter((s) => s.of === "d0")
        .map((s) => s.kind),
    ).toEqual(["self", "self"]);
    expect(
      keyShares
        .flat()
        .filter((s) => s.of === "d0")
        .map((s) => s.kind),
    ).toEqual(["key", "key"]);
    // Asking again, with another story, is refused: no device reveals a second share of d0.
    expect(() => r.clients[1]!.unmask(others)).toThrow(SecAggError);
    expect(() => r.clients[1]!.unmask(others)).toThrow(/already revealed/);
    // Everything the relay gathered holds two shares of d0's seed and two of its key: fewer
    // than t = 3 of either, so d0's input can be unmasked neither as a survivor's nor as a dropout's.
    const responses = new Map([
      ["d1", seedShares[0]!],
      ["d2", seedShares[1]!],
      ["d3", keyShares[0]!],
      ["d4", keyShares[1]!],
    ]);
    const attempt = { round: r.name, roster: r.roster, shared: r.shared, responses, threshold: 3, dim: DIM };
    await expect(unmaskSum({ ...attempt, masked: r.masked })).rejects.toThrow(
      /2 shares of d0's seed; needs 3/,
    );
    const withoutD0 = new Map(others.map((d) => [d, r.masked.get(d)!]));
    await expect(unmaskSum({ ...attempt, masked: withoutD0 })).rejects.toThrow(/of d0's key; needs 3/);
  });

  it("refuses a threshold of half the roster or less, a roster with other keys for the device, and tampered shares", async () => {
    const clients = await Promise.all(["a", "b", "c", "d"].map((d) => SecAggClient.start(d, "r")));
    const roster = clients.map((c) => c.advertisement());
    await expect(clients[0]!.shareKeys(roster, 2)).rejects.toThrow(/more than half the roster/);
    const swapped = roster.map((a, i) => (i === 0 ? { ...a, sPk: roster[1]!.sPk } : a));
    await expect(clients[0]!.shareKeys(swapped, 3)).rejects.toThrow(/other keys/);
    const outbox = (await Promise.all(clients.map((c) => c.shareKeys(roster, 3)))).flat();
    const mine = outbox.filter((e) => e.to === "a");
    const tampered = mine.map((e, i) =>
      i === 0 ? { ...e, ciphertext: `${e.ciphertext.slice(0, -2)}AA` } : e,
    );
    await expect(clients[0]!.maskedInput(new Uint32Array(4), tampered)).rejects.toThrow();
  });
});
