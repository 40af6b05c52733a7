/** The device SDK against the real Worker and Durable Objects: several clients through several versions. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../sdk/adapters/memory-store";
import { FedgeClient, type FetchLike, type RoundResult, type TrainOptions } from "../sdk/index";
import {
  createTask,
  flatModel,
  maxAbsDiff,
  seededVector,
  taskStatus,
  waitForVersion,
  weightedAverageStep,
  weights,
} from "./helpers";

const BASE_URL = "https://fedge.test";
const fetchWorker: FetchLike = (input, init) =>
  exports.default.fetch(new Request(new URL(input, BASE_URL), init));

/** A deterministic device: always the same update and example count; remembers the weights it was given. */
function fixedTrainer(update: Float32Array, examples: number) {
  const seen: Float32Array[] = [];
  const options: TrainOptions[] = [];
  return {
    seen,
    options,
    train(w: Float32Array, o: TrainOptions) {
      seen.push(w.slice());
      options.push(o);
      return { update, examples, loss: 0.1 };
    },
  };
}

/**
 * Runs rounds until the client trains. Right after a version is published a check-in may
 * still see the previous one (the edge caches the task for a second) and answer `wait`;
 * the test polls instead of sleeping the whole Retry-After.
 */
async function trainOnce(
  client: FedgeClient,
  trainer: ReturnType<typeof fixedTrainer>,
): Promise<RoundResult> {
  let last: RoundResult | undefined;
  for (let i = 0; i < 200; i++) {
    last = await client.runOnce(trainer);
    if (last.action === "trained") return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the client was never told to train; last answer ${JSON.stringify(last)}`);
}

describe("the SDK against the Worker", () => {
  it("takes four clients through three versions, each the examples-weighted mean of their updates", async () => {
    // Prepare: 4 devices in clusters of 2; a round closes at 4 updates. Device i always
    // sends the same update with 10 + 5i examples.
    const task = "sdk-e2e";
    const dim = 6;
    const created = await createTask(task, {
      model: { ...flatModel(dim), init: { kind: "uniform", scale: 0.1, seed: 11 } },
      round: { targetUpdates: 4, deadlineSeconds: 600 },
      clusters: { targetSize: 2 },
    });
    expect(created.status).toBe(201);
    const updates = [0, 1, 2, 3].map((i) => ({ values: seededVector(i + 1, dim), n: 10 + 5 * i }));
    const devices = updates.map(({ values, n }) => ({
      client: new FedgeClient({
        baseUrl: BASE_URL,
        task,
        store: new MemoryStore(),
        fetch: fetchWorker,
        training: { epochs: 2, learningRate: 0.05, batchSize: 8 },
      }),
      trainer: fixedTrainer(values, n),
    }));
    // A cluster flushes once all its members have reported, so everyone joins before the first upload.
    for (const { client } of devices) await client.register();
    const published = [await weights(task, 0)];

    // Execute: every device trains once per version; each version waits for the one before.
    for (let version = 0; version < 3; version++) {
      for (const { client, trainer } of devices) {
        const result = await trainOnce(client, trainer);
        expect(result).toMatchObject({ action: "trained", version, flush: { rejected: [], pending: 0 } });
      }
      await waitForVersion(task, version + 1);
      // The server stores each version as f32; so does the oracle, before the next step.
      published.push(Float32Array.from(weightedAverageStep(published[version]!, updates)));
    }

    // Assert: version 3 is three FedAvg steps from version 0, and every device trained from
    // each version's weights with the configured hyper-parameters.
    expect((await taskStatus(task)).model).toMatchObject({ version: 3, updates: 4 });
    expect(maxAbsDiff(await weights(task, 3), published[3]!)).toBeLessThanOrEqual(1e-6);
    for (const { client, trainer } of devices) {
      expect(trainer.seen).toHaveLength(3);
      for (const [v, w] of trainer.seen.entries())
        expect(maxAbsDiff(w, published[v]!)).toBeLessThanOrEqual(1e-6);
      expect(trainer.options[0]).toEqual({ epochs: 2, learningRate: 0.05, batchSize: 8, workScale: 1 });
      expect(await client.stats()).toEqual({
        made: 3,
        uploaded: 3,
        rejectedStale: 0,
        rejected: {},
        pending: 0,
      });
    }
    // Each new version may take the edge's one-second task cache to reach check-ins.
  }, 30_000);

  it("reports a federated evaluation of the current model", async () => {
    // Prepare
    const task = "sdk-eval";
    await createTask(task, { model: flatModel(4) });
    const client = new FedgeClient({ baseUrl: BASE_URL, task, store: new MemoryStore(), fetch: fetchWorker });

    // Execute
    const outcome = await client.evaluate({ evaluate: () => ({ loss: 0.3, accuracy: 0.8, examples: 50 }) });

    // Assert
    expect(outcome).toEqual({ version: 0, loss: 0.3, accuracy: 0.8, examples: 50, reported: true });
    const { evaluations } = await taskStatus(task);
    expect(evaluations).toEqual([expect.objectContaining({ version: 0, reports: 1, examples: 50 })]);
  });

  it("takes three clients through a secure round when the task aggregates securely: the cluster sees only their sum", async () => {
    const task = "sdk-secure";
    const dim = 8;
    const created = await createTask(task, {
      model: { ...flatModel(dim), init: { kind: "uniform", scale: 0.1, seed: 5 } },
      round: { targetUpdates: 3, deadlineSeconds: 600 },
      clusters: { targetSize: 3 },
      privacy: { secureAggregation: { kind: "secagg", clipNorm: 10, phaseSeconds: 30 } },
    });
    expect(created.status).toBe(201);
    const updates = [1, 2, 3].map((i) => seededVector(i, dim));
    const devices = updates.map((u) => ({
      client: new FedgeClient({ baseUrl: BASE_URL, task, store: new MemoryStore(), fetch: fetchWorker }),
      trainer: fixedTrainer(u, 50),
    }));
    for (const d of devices) await d.client.register();

    const rounds = await Promise.all(devices.map((d) => trainOnce(d.client, d.trainer)));
    for (const r of rounds) {
      expect(r).toMatchObject({
        action: "trained",
        version: 0,
        secure: { status: "aggregated", members: 3 },
      });
    }
    // Nothing was queued as a frame: the update went only through the round.
    for (const d of devices) expect((await d.client.stats()).pending).toBe(0);
    await waitForVersion(task, 1);
    // Secure rounds count each device once (the sample weights are not sent): the plain mean.
    const expected = Float64Array.from(
      await weights(task, 0),
      (w, j) => w + (updates[0]![j]! + updates[1]![j]! + updates[2]![j]!) / 3,
    );
    expect(maxAbsDiff(await weights(task, 1), expected)).toBeLessThan(1e-5);
  });
});
