/** A FedgeClient wired to the fake API, the fake clock and a memory store, for the client's tests. */

import { parseFrame } from "../../../shared/protocol/frame";
import { MemoryStore } from "../../adapters/memory-store";
import { FedgeClient, type FedgeClientOptions } from "../client";
import type { TrainOptions, TrainResult } from "../trainer";
import { FakeClock } from "./fake-clock";
import { FakeFedge, TASK } from "./fake-fedge";

export const BASE_URL = "https://fedge.test";

export function setup(options: Partial<FedgeClientOptions> = {}) {
  const clock = new FakeClock();
  const fake = new FakeFedge(clock);
  const store = new MemoryStore();
  const base: FedgeClientOptions = {
    baseUrl: BASE_URL,
    task: TASK,
    store,
    fetch: fake.fetch,
    clock,
    random: () => 0.5,
    ...options,
  };
  /** A new client over the same store: the app restarted. */
  const restart = (more: Partial<FedgeClientOptions> = {}) => new FedgeClient({ ...base, ...more });
  return { clock, fake, store, client: new FedgeClient(base), restart };
}

/** A trainer that returns the same update whatever it is given, and records what it was given. */
export function fixedTrainer(update: number[], examples = 10) {
  const calls: { weights: Float32Array; options: TrainOptions }[] = [];
  return {
    calls,
    train(weights: Float32Array, options: TrainOptions): TrainResult {
      calls.push({ weights: weights.slice(), options });
      return { update: Float32Array.from(update), examples, loss: 0.5 };
    },
  };
}

/** The update ids of the upload requests the fake received, in order (including failed attempts). */
export function uploadedIds(fake: FakeFedge): string[] {
  return fake.requests
    .filter((r) => r.route === "updates")
    .map((r) => parseFrame(r.body as Uint8Array).header.updateId);
}
