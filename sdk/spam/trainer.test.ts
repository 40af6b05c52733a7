import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../shared/model-init";
import type { Example } from "./features";
import { network, type SpamModel } from "./model";
import { seededRandom, shuffle } from "./random";
import { spamTrainer, type TrainOptions } from "./trainer";

const BUCKETS = 64;

/** Spam uses ids 0–19, ham 20–39, both a few of 40–59; ids 60–63 never occur. */
function synthetic(n: number, seed: number): Example[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const spam = i % 3 === 0;
    const ids = new Set<number>();
    for (let k = 0; k < 5; k++) ids.add((spam ? 0 : 20) + Math.floor(random() * 20));
    for (let k = 0; k < 3; k++) ids.add(40 + Math.floor(random() * 20));
    return { ids: Int32Array.from(ids).sort(), spam };
  });
}

function initial(model: SpamModel, seed = 11): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: network(model).parameters }, () => 0.2 * random() - 0.1);
}

/** Plain mini-batch SGD updating all B rows every step (eager L2), over the trainer's documented shuffles. */
function denseSgd(
  model: SpamModel,
  data: Example[],
  start: Float32Array,
  options: TrainOptions,
  l2: number,
  seed: number,
) {
  const net = network(model);
  const w = start.slice();
  const random = seededRandom(seed);
  const order = data.map((_, i) => i);
  const perEpoch = Math.ceil(data.length / options.batchSize);
  for (let step = 0; step < options.epochs * perEpoch; step++) {
    const position = step % perEpoch;
    if (position === 0) shuffle(order, random);
    const batch = order.slice(position * options.batchSize, (position + 1) * options.batchSize);
    const g = new Float32Array(net.parameters);
    for (const e of batch) net.accumulateGradient(w, data[e]!.ids, data[e]!.spam, g, 1 / batch.length);
    for (let j = 0; j < net.parameters; j++) {
      const decay = j < net.buckets * net.rowSize ? 1 - options.learningRate * l2 : 1;
      w[j] = decay * w[j]! - options.learningRate * g[j]!;
    }
  }
  return w;
}

const models: SpamModel[] = [
  { kind: "logistic", buckets: BUCKETS },
  { kind: "mlp", buckets: BUCKETS, hidden: 3 },
];

describe.each(models)("spamTrainer ($kind)", (model) => {
  const data = synthetic(90, 1);
  const options = { epochs: 3, learningRate: 0.3, batchSize: 7 };

  it("returns the update local − global of sparse SGD, equal to dense SGD with eager L2", () => {
    for (const l2 of [0, 0.05]) {
      const start = initial(model);
      const before = start.slice();
      const result = spamTrainer({ model, train: data, l2, seed: 4 }).train(start, options);
      expect(start).toEqual(before);
      const expected = denseSgd(model, data, start, options, l2, 4);
      result.update.forEach((u, j) => {
        expect(start[j]! + u).toBeCloseTo(expected[j]!, 5);
      });
    }
  });

  it("leaves buckets no message touches unchanged without L2, and decays them with it", () => {
    const start = initial(model);
    const untouched = 60 * network(model).rowSize;
    const plain = spamTrainer({ model, train: data, seed: 4 }).train(start, options).update;
    expect(plain.subarray(untouched, BUCKETS * network(model).rowSize).every((u) => u === 0)).toBe(true);
    const decayed = spamTrainer({ model, train: data, l2: 0.1, seed: 4 }).train(start, options).update;
    const steps = options.epochs * Math.ceil(data.length / options.batchSize);
    expect(start[untouched]! + decayed[untouched]!).toBeCloseTo(start[untouched]! * (1 - 0.03) ** steps, 6);
  });

  it("learns: the loss falls and a separable set is classified", () => {
    const trainer = spamTrainer({ model, train: data, evaluation: synthetic(60, 2), seed: 1 });
    const weights = initial(model);
    const before = trainer.evaluate(weights);
    const result = trainer.train(weights, { epochs: 20, learningRate: 0.3, batchSize: 10 });
    weights.forEach((w, j) => {
      weights[j] = w + result.update[j]!;
    });
    const after = trainer.evaluate(weights);
    expect(after.examples).toBe(60);
    expect(after.loss).toBeLessThan(before.loss / 2);
    expect(after.accuracy).toBe(1);
    expect(result.examples).toBe(90);
    expect(result.loss).toBeGreaterThan(0);
  });

  it("is reproducible from the seed, and successive calls continue its shuffles", () => {
    const start = initial(model);
    const a = spamTrainer({ model, train: data, seed: 8 });
    const b = spamTrainer({ model, train: data, seed: 8 });
    const first = a.train(start, options);
    expect(b.train(start, options)).toEqual(first);
    expect(a.train(start, options).update).not.toEqual(first.update);
    expect(spamTrainer({ model, train: data, seed: 9 }).train(start, options).update).not.toEqual(
      first.update,
    );
  });

  it("does workScale of the steps and weights the update by the distinct examples seen", () => {
    const trainer = spamTrainer({ model, train: data, seed: 1 });
    // 90 examples in batches of 10: 9 steps an epoch.
    const base = { epochs: 1, learningRate: 0.1, batchSize: 10 };
    expect(trainer.train(initial(model), { ...base, workScale: 1 / 3 }).examples).toBe(30);
    expect(trainer.train(initial(model), { ...base, workScale: 0.01 }).examples).toBe(10);
    expect(trainer.train(initial(model), { ...base, epochs: 2, workScale: 0.5 }).examples).toBe(90);
  });
});

describe("spamTrainer", () => {
  const model: SpamModel = { kind: "logistic", buckets: BUCKETS };
  const good = { epochs: 1, learningRate: 0.1, batchSize: 4 };

  it("returns a zero update of weight 0 for an empty shard", () => {
    expect(spamTrainer({ model, train: [] }).train(new Float32Array(BUCKETS + 1), good)).toEqual({
      update: new Float32Array(BUCKETS + 1),
      examples: 0,
      loss: 0,
    });
  });

  it("evaluates its training examples unless given others", () => {
    const data = synthetic(30, 3);
    expect(spamTrainer({ model, train: data }).evaluate(new Float32Array(BUCKETS + 1)).examples).toBe(30);
  });

  it("refuses weights of the wrong length and out-of-range options", () => {
    const trainer = spamTrainer({ model, train: synthetic(10, 1), l2: 1 });
    const weights = new Float32Array(BUCKETS + 1);
    expect(() => trainer.train(new Float32Array(BUCKETS), good)).toThrow(RangeError);
    expect(() => trainer.evaluate(new Float32Array(BUCKETS))).toThrow(RangeError);
    for (const bad of [
      { epochs: 0 },
      { learningRate: 0 },
      { batchSize: 1.5 },
      { batchSize: 0 },
      { workScale: 0 },
      { workScale: 1.5 },
      { learningRate: 1 }, // ηλ = 1 would zero the table every step
    ]) {
      expect(() => trainer.train(weights, { ...good, ...bad })).toThrow(RangeError);
    }
    expect(() => spamTrainer({ model, train: [], l2: -1 })).toThrow(RangeError);
  });
});
