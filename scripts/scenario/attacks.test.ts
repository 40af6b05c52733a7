import { describe, expect, it } from "vitest";
import type { TrainOptions } from "../../sdk/core/trainer";
import { featurize } from "../../sdk/spam/features";
import type { SpamModel } from "../../sdk/spam/model";
import { seededRandom } from "../../sdk/spam/random";
import { spamTrainer } from "../../sdk/spam/trainer";
import { cosine, l2Norm } from "../../shared/trust/vectors";
import { attackTrainer, SCALE, SybilGroup } from "./attacks";

const model: SpamModel = { kind: "logistic", buckets: 256 };
// RFC 5322 text: the tokenizer reads the subject and the body after the blank line.
const mails = [
  { text: "Subject: win money\n\nclick here now for cash!", spam: true },
  { text: "Subject: cheap pills\n\nfree offer, order today $", spam: true },
  { text: "Subject: meeting notes\n\nagenda for tomorrow attached", spam: false },
  { text: "Subject: lunch friday\n\nthe team meets at noon", spam: false },
].map((m) => featurize(m, model.buckets));
const options: TrainOptions = { epochs: 2, learningRate: 0.5, batchSize: 2 };
const weights = new Float32Array(model.buckets! + 1);
const honestUpdate = () => spamTrainer({ model, train: mails, seed: 3 }).train(weights, options).update;
const context = (seed = 1) => ({
  honest: spamTrainer({ model, train: mails, seed: 3 }),
  examples: mails.length,
  random: seededRandom(seed),
  sybils: new SybilGroup(model, mails, mails.slice(0, 2), 9),
});

describe("attackTrainer", () => {
  it("sign-flip sends −Δ and scaled sends SCALE·Δ of the device's honest update", async () => {
    const delta = honestUpdate();

    const flipped = (await attackTrainer("sign-flip", context()).train(weights, options)).update;
    const scaled = (await attackTrainer("scaled", context()).train(weights, options)).update;

    expect(Array.from(flipped)).toEqual(Array.from(delta, (x) => -x));
    expect(Array.from(scaled)).toEqual(Array.from(delta, (x) => Math.fround(SCALE * x)));
  });

  it("noise has the honest update's norm and no direction", async () => {
    const delta = honestUpdate();

    const noise = (await attackTrainer("noise", context()).train(weights, options)).update;

    expect(l2Norm(noise)).toBeCloseTo(l2Norm(delta), 4);
    expect(Math.abs(cosine(noise, delta))).toBeLessThan(0.3);
  });

  it("a zero free rider claims its shard and sends nothing", async () => {
    const result = await attackTrainer("free-rider-zero", context()).train(weights, options);

    expect(result.examples).toBe(mails.length);
    expect(l2Norm(result.update)).toBe(0);
  });

  it("a replaying free rider trains once, then sends the global model's movement since its last round", async () => {
    const rider = attackTrainer("free-rider-replay", context());
    const first = (await rider.train(weights, options)).update;
    const moved = weights.map((_, i) => (i % 7 === 0 ? 0.25 : 0));

    const second = (await rider.train(moved, options)).update;

    expect(Array.from(first)).toEqual(Array.from(honestUpdate()));
    expect(Array.from(second)).toEqual(Array.from(moved));
  });

  it("Sybils send near-copies of one label-flipped update at an honest update's norm", async () => {
    const group = new SybilGroup(model, mails, mails.slice(0, 2), 9);
    const a = attackTrainer("sybil", { ...context(1), sybils: group });
    const b = attackTrainer("sybil", { ...context(2), sybils: group });

    const ua = (await a.train(weights, options)).update;
    const ub = (await b.train(weights, options)).update;

    expect(cosine(ua, ub)).toBeGreaterThan(0.999);
    expect(ua).not.toEqual(ub);
    expect(cosine(ua, honestUpdate())).toBeLessThan(0);
    const calibration = spamTrainer({ model, train: mails.slice(0, 2), seed: 10 }).train(
      weights,
      options,
    ).update;
    expect(l2Norm(ua)).toBeCloseTo(l2Norm(calibration), 1);
  });
});
