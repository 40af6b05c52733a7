import { describe, expect, it } from "vitest";
import { initialWeights } from "../../shared/model-init";
import { TaskConfigSchema } from "../../shared/protocol/task-config";
import { splitTrainTest } from "./dataset";
// The .js suffix: tsx takes an extensionless "./x.node" for a native addon; see baseline.node.ts.
import { loadSpamAssassin } from "./dataset.node.js";
import { type Example, featurize } from "./features";
import { modelSpec, predict, type SpamModel } from "./model";
import { spamOnnxGraph } from "./onnx";
import { evaluateWithOnnx, predictWithOnnx } from "./onnx-evaluate";
import { DEFAULT_TRAIN_OPTIONS, spamTrainer } from "./trainer";

const split = splitTrainTest(loadSpamAssassin());
const train = split.train.map((m) => featurize(m));
const test = split.test.map((m) => featurize(m));

/** Version 0 as fedge publishes it, then one epoch of training, so that no output is trivial. */
function trainedWeights(model: SpamModel) {
  const weights = initialWeights(TaskConfigSchema.parse({ model: modelSpec(model, 3) }).model);
  const trainer = spamTrainer({ model, train, evaluation: test, seed: 3 });
  const { update } = trainer.train(weights, { ...DEFAULT_TRAIN_OPTIONS[model.kind], epochs: 1 });
  update.forEach((u, j) => {
    weights[j]! += u;
  });
  return { weights, trainer };
}

describe.each([{ kind: "logistic" }, { kind: "mlp" }] satisfies SpamModel[])(
  "the ONNX graph ($kind)",
  (model) => {
    const { weights, trainer } = trainedWeights(model);
    const graph = spamOnnxGraph(model);

    it("gives the trainer's own probabilities on the real test split, within 1e-5", async () => {
      // Beyond the corpus: a message with no tokens, and one longer than a batch, which runs alone.
      const long = { ids: Int32Array.from({ length: 70_000 }, (_, i) => 3 * i), spam: true };
      const messages: Example[] = [...test, { ids: new Int32Array(0), spam: false }, long];
      const { probability, logit } = await predictWithOnnx(graph, weights, messages);
      const expected = messages.map((m) => predict(model, weights, m.ids));
      let worst = 0;
      expected.forEach((p, i) => {
        worst = Math.max(worst, Math.abs(probability[i]! - p));
        expect(probability[i]).toBeCloseTo(1 / (1 + Math.exp(-logit[i]!)), 6);
      });
      expect(worst).toBeLessThan(1e-5);
      expect(probability.some((p) => p > 0.99) && probability.some((p) => p < 0.01)).toBe(true);
    }, 20_000);

    it("scores the test split as Trainer.evaluate does", async () => {
      const onnx = await evaluateWithOnnx(graph, weights, test);
      const own = trainer.evaluate(weights);
      expect(onnx.examples).toBe(own.examples);
      expect(onnx.accuracy).toBe(own.accuracy);
      expect(onnx.loss).toBeCloseTo(own.loss, 5);
      expect(onnx.accuracy).toBeGreaterThan(0.95);
    }, 20_000);
  },
);
