/**
 * A small fleet for the dashboard check, driving fedge over its HTTP API as devices do:
 * register, check in, download the model, report its federated evaluation, upload a
 * compressed update. Each device holds its own synthetic data for one logistic regression
 * (labels from a sparse true weight vector, 10% of them flipped), so accuracy rises and
 * loss falls as versions are published. Two devices misbehave, so that the refused, shed
 * and gaming counters have something to count: one boosts its update 25× (a norm outlier
 * for the gaming detectors), one sends a burst of extra updates for a version it has
 * already contributed to.
 */
import { encodeUpdate } from "../../shared/codecs/encoder";
import { randomUpdateId } from "../../shared/protocol/frame";
import type { TaskConfigInput } from "../../shared/protocol/task-config";
import { xorshift32 } from "../../test/fixtures";

export type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

const FEATURES = 256;

export const TASK_CONFIG: TaskConfigInput = {
  model: {
    parameters: FEATURES + 1,
    layout: [
      { name: "w", shape: [FEATURES], offset: 0 },
      { name: "b", shape: [1], offset: FEATURES },
    ],
  },
  aggregation: { mode: "async", bufferSize: 8, flushSeconds: 0.5 },
  clusters: { targetSize: 4 },
  trust: { detect: true },
};

/** Devices per region: clusters of four, so 3, 2 and 1 clusters. */
const REGIONS = { weur: 12, enam: 8, apac: 4 } as const;
const EXAMPLES = { train: 200, test: 50 };
const COMPRESSION = { density: 0.1, bits: 8 } as const;

interface Example {
  x: Float32Array;
  y: number;
}

interface Device {
  token: string;
  layoutHash: string;
  train: Example[];
  test: Example[];
  /** The newest version this device trained from. */
  trainedFrom: number;
  boost: number;
}

export interface FleetResult {
  /** HTTP status → uploads answered with it. */
  uploads: Record<number, number>;
  evaluations: number;
  /** Requests that failed outright (not an HTTP answer) or answered unexpectedly. */
  errors: string[];
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const truth = (() => {
  const random = xorshift32(7);
  const w = new Float32Array(FEATURES);
  for (let i = 0; i < 16; i++)
    w[Math.floor(random() * FEATURES)] = (random() < 0.5 ? -1 : 1) * (1 + random());
  return w;
})();

function examples(random: () => number, n: number): Example[] {
  return Array.from({ length: n }, () => {
    const x = Float32Array.from({ length: FEATURES }, () => gaussian(random));
    const clean = dot(truth, x) > 0 ? 1 : 0;
    return { x, y: random() < 0.1 ? 1 - clean : clean };
  });
}

function dot(w: Float32Array, x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += w[i]! * x[i]!;
  return s;
}

function predict(model: Float32Array, x: Float32Array): number {
  return 1 / (1 + Math.exp(-(dot(model, x) + model[FEATURES]!)));
}

function evaluate(model: Float32Array, data: Example[]): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (const { x, y } of data) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, predict(model, x)));
    loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    if ((p > 0.5 ? 1 : 0) === y) correct++;
  }
  return { loss: loss / data.length, accuracy: correct / data.length };
}

/** One epoch of SGD on the log loss from `model`; returns local − global. */
function localUpdate(model: Float32Array, data: Example[], lr = 0.005): Float32Array {
  const w = Float32Array.from(model);
  for (const { x, y } of data) {
    const g = predict(w, x) - y;
    for (let i = 0; i < FEATURES; i++) w[i]! -= lr * g * x[i]!;
    w[FEATURES]! -= lr * g;
  }
  return w.map((v, i) => v - model[i]!);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Fleet {
  readonly #fetch: Fetch;
  readonly #task: string;
  readonly #devices: Device[] = [];
  readonly #result: FleetResult = { uploads: {}, evaluations: 0, errors: [] };

  constructor(fetch: Fetch, task: string) {
    this.#fetch = fetch;
    this.#task = task;
  }

  async register(): Promise<void> {
    let seed = 100;
    for (const [region, n] of Object.entries(REGIONS)) {
      for (let i = 0; i < n; i++) {
        const res = await this.#fetch(`/v1/tasks/${this.#task}/devices`, {
          method: "POST",
          headers: { "X-Fedge-Region": region },
        });
        if (res.status !== 201) throw new Error(`registration answered ${res.status}: ${await res.text()}`);
        const body = (await res.json()) as { token: string; task: { layoutHash: string } };
        const random = xorshift32(seed++);
        this.#devices.push({
          token: body.token,
          layoutHash: body.task.layoutHash,
          train: examples(random, EXAMPLES.train),
          test: examples(random, EXAMPLES.test),
          trainedFrom: -1,
          boost: this.#devices.length === 1 ? 25 : 1,
        });
      }
    }
  }

  /** Every device trains whenever it is given a new version, until `seconds` have passed. */
  async run(seconds: number): Promise<FleetResult> {
    const until = Date.now() + seconds * 1000;
    const greedy = this.#devices[2]!;
    const burstAt = Date.now() + (seconds * 1000) / 3;
    let burst = false;
    await Promise.all(
      this.#devices.map(async (device) => {
        while (Date.now() < until) {
          await this.#step(device).catch((e: unknown) => this.#result.errors.push(String(e)));
          if (device === greedy && !burst && Date.now() > burstAt && device.trainedFrom >= 0) {
            burst = true;
            await this.#burst(device).catch((e: unknown) => this.#result.errors.push(String(e)));
          }
          await sleep(250 + Math.random() * 500);
        }
      }),
    );
    return this.#result;
  }

  async #step(device: Device): Promise<void> {
    const res = await this.#post(device, `/v1/tasks/${this.#task}/checkin`, "{}", "application/json");
    if (res.status !== 200) return void (await res.body?.cancel());
    const answer = (await res.json()) as { action: string; upload?: { baseVersion: number } };
    const version = answer.upload?.baseVersion;
    if (answer.action !== "train" || version === undefined || version <= device.trainedFrom) return;
    device.trainedFrom = version;
    const weights = await this.#fetch(`/v1/tasks/${this.#task}/model/${version}/weights`, {
      headers: { Authorization: `Bearer ${device.token}` },
    });
    if (weights.status !== 200) throw new Error(`weights of version ${version} answered ${weights.status}`);
    const model = new Float32Array(await weights.arrayBuffer());
    const evaluation = await this.#post(
      device,
      `/v1/tasks/${this.#task}/evaluations`,
      JSON.stringify({ version, ...evaluate(model, device.test), examples: device.test.length }),
      "application/json",
    );
    if (evaluation.status !== 202) throw new Error(`evaluation answered ${evaluation.status}`);
    this.#result.evaluations++;
    const delta = localUpdate(model, device.train).map((v) => v * device.boost);
    await this.#upload(device, delta, version);
  }

  /** Six more updates for the version this device already contributed to, all at once. */
  async #burst(device: Device): Promise<void> {
    const delta = localUpdate(new Float32Array(FEATURES + 1), device.train);
    await Promise.all(Array.from({ length: 6 }, () => this.#upload(device, delta, device.trainedFrom)));
  }

  async #upload(device: Device, delta: Float32Array, version: number): Promise<void> {
    // encodeUpdate writes into a new ArrayBuffer; its signature only says ArrayBufferLike.
    const frame = encodeUpdate(delta, {
      ...COMPRESSION,
      baseVersion: version,
      sampleWeight: device.train.length,
      updateId: randomUpdateId(),
      layoutHash: device.layoutHash,
    }) as Uint8Array<ArrayBuffer>;
    const res = await this.#post(
      device,
      `/v1/tasks/${this.#task}/updates`,
      frame,
      "application/octet-stream",
    );
    await res.body?.cancel();
    this.#result.uploads[res.status] = (this.#result.uploads[res.status] ?? 0) + 1;
  }

  #post(device: Device, path: string, body: BodyInit, type: string): Promise<Response> {
    return this.#fetch(path, {
      method: "POST",
      headers: { Authorization: `Bearer ${device.token}`, "Content-Type": type },
      body,
    });
  }
}
