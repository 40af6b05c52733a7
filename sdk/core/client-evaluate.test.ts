import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF } from "./backoff";
import { setup } from "./testing/client-fixture";

describe("FedgeClient.evaluate", () => {
  it("evaluates the current global model and reports version, loss, accuracy and examples", async () => {
    // Prepare
    const { client, fake } = setup();
    fake.publish(Float32Array.of(4, 3, 2, 1));
    const seen: number[][] = [];
    const evaluator = {
      evaluate: async (weights: Float32Array) => {
        seen.push([...weights]);
        return { loss: 0.25, accuracy: 0.9, examples: 40 };
      },
    };

    // Execute
    const outcome = await client.evaluate(evaluator);

    // Assert
    expect(seen).toEqual([[4, 3, 2, 1]]);
    expect(fake.evaluations).toEqual([{ version: 1, loss: 0.25, accuracy: 0.9, examples: 40 }]);
    expect(outcome).toEqual({ version: 1, loss: 0.25, accuracy: 0.9, examples: 40, reported: true });
  });

  it("returns the evaluation unreported while the server has no evaluations endpoint", async () => {
    const { client, fake } = setup();
    fake.evaluationsEnabled = false;
    const outcome = await client.evaluate({ evaluate: () => ({ loss: 1, accuracy: 0.5, examples: 2 }) });
    expect(outcome).toEqual({ version: 0, loss: 1, accuracy: 0.5, examples: 2, reported: false });
  });

  it("reports only version, loss, accuracy and examples, whatever else the evaluator returns", async () => {
    const { client, fake } = setup();
    await client.evaluate({ evaluate: () => ({ loss: 1, accuracy: 0.5, examples: 2, auc: 0.7 }) });
    expect(fake.evaluations).toEqual([{ version: 0, loss: 1, accuracy: 0.5, examples: 2 }]);
  });

  it("retries a failed report with backoff", async () => {
    const { client, clock, fake } = setup();
    fake.script("evaluations", { status: 503 });
    await client.evaluate({ evaluate: () => ({ loss: 1, accuracy: 0.5, examples: 2 }) });
    expect(clock.sleeps).toEqual([DEFAULT_BACKOFF.baseMs / 2]);
    expect(fake.evaluations).toHaveLength(1);
  });
});
