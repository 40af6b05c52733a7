import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../shared/model-init";
import { embeddingBagMlp } from "./embedding-bag-mlp";
import { logisticRegression } from "./logistic-regression";
import { logLoss } from "./metrics";
import type { Network } from "./network";

const BUCKETS = 50;
const networks: [string, Network][] = [
  ["logistic regression", logisticRegression(BUCKETS)],
  ["embedding-bag MLP", embeddingBagMlp(BUCKETS, 4)],
];

function randomWeights(net: Network, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: net.parameters }, () => random() - 0.5);
}

describe.each(networks)("%s", (_, net) => {
  const ids = Int32Array.from([3, 17, 18, 42]);

  it("lays out a table of buckets × rowSize followed by its head, tiling the weights", () => {
    expect(net.layout[0]!.offset).toBe(0);
    expect(net.layout[0]!.shape.reduce((a, b) => a * b, 1)).toBe(BUCKETS * net.rowSize);
    let next = 0;
    for (const t of net.layout) {
      expect(t.offset).toBe(next);
      next += t.shape.reduce((a, b) => a * b, 1);
    }
    expect(next).toBe(net.parameters);
  });

  it("accumulates scale · the gradient of the log loss (checked by central differences)", () => {
    for (const spam of [true, false]) {
      const weights = randomWeights(net, spam ? 1 : 2);
      const gradient = new Float32Array(net.parameters);
      const z = net.accumulateGradient(weights, ids, spam, gradient, 0.5);
      expect(z).toBe(net.logit(weights, ids));
      const h = 1e-2;
      for (let j = 0; j < net.parameters; j++) {
        const w = weights.slice();
        w[j]! += h;
        const up = logLoss(net.logit(w, ids), spam);
        w[j]! -= 2 * h;
        const down = logLoss(net.logit(w, ids), spam);
        expect(gradient[j]).toBeCloseTo((0.5 * (up - down)) / (2 * h), 4);
      }
    }
  });

  it("writes only the message's rows and the head", () => {
    const gradient = new Float32Array(net.parameters);
    net.accumulateGradient(randomWeights(net, 3), ids, true, gradient, 1);
    const head = BUCKETS * net.rowSize;
    for (let row = 0; row < BUCKETS; row++) {
      if (ids.includes(row)) continue;
      expect(gradient.subarray(row * net.rowSize, (row + 1) * net.rowSize).every((g) => g === 0)).toBe(true);
    }
    expect(gradient.subarray(head).some((g) => g !== 0)).toBe(true);
  });
});
