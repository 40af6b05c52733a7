/**
 * Prints the centralized baselines on the fixed SpamAssassin split:
 *
 *   PATH=$PWD/node_modules/.bin:$PATH npx tsx sdk/spam/baseline.node.ts
 */
import { centralizedBaseline } from "./baseline";
// The .js suffix: tsx takes an extensionless "./x.node" for a native addon and does not try ./x.node.ts.
import { loadSpamAssassin } from "./dataset.node.js";
import type { ModelKind } from "./model";

const messages = loadSpamAssassin();
for (const kind of ["logistic", "mlp"] satisfies ModelKind[]) {
  const started = performance.now();
  const { train, trainExamples, epochs } = centralizedBaseline(messages, { model: { kind } });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${kind}: ${trainExamples} training messages, lr ${train.learningRate}, batch ${train.batchSize} (${seconds} s)`,
  );
  epochs.forEach((e, i) => {
    console.log(
      `  epoch ${i + 1}: test accuracy ${(100 * e.accuracy).toFixed(2)}%, loss ${e.loss.toFixed(4)}`,
    );
  });
}
