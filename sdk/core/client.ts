/**
 * The device client: registers once, checks in, trains when told to, queues and uploads
 * updates, and evaluates the global model. Only web-standard APIs are used here; storage,
 * battery and network come from adapters (sdk/adapters/) or the tests.
 */
import { randomUpdateId } from "../../shared/protocol/frame";
import type { CheckinAnswer, NetworkStatus, Registration, TrainAnswer, WaitReason } from "./api-types";
import { type BackoffOptions, DEFAULT_BACKOFF, type RetryContext, retryDelay, withRetries } from "./backoff";
import {
  type BatteryStatus,
  DEFAULT_POLICY,
  mayTrain,
  type TrainingPolicy,
  workScale,
} from "./battery-policy";
import { type Clock, systemClock } from "./clock";
import { checkinReport } from "./conditions";
import { denseF32Encoder, type UpdateEncoder } from "./encoder";
import { PersistentEncoder } from "./encoder-state";
import { FedgeApiError, isTransient } from "./errors";
import { type FetchLike, Http } from "./http";
import { LinkMetrics } from "./link-metrics";
import { ModelCache } from "./model-cache";
import { requireWebCrypto } from "./platform";
import { UpdateQueue } from "./queue";
import { DeviceAuth } from "./registration";
import { runSecureRound, type SecureOutcome, type SecureTransport } from "./secure-round";
import { type ClientStats, StatsCounter } from "./stats";
import { getJson, type Store, setJson, type TaskKeys, taskKeys } from "./store";
import type { EvaluationResult, Evaluator, LocalTrainer, TrainOptions, TrainResult } from "./trainer";
import { type FedgeEvent, type FlushResult, Uploader } from "./uploader";

export interface FedgeClientOptions {
  /** The fedge Worker's URL, e.g. `https://fedge.example.com`. */
  baseUrl: string;
  task: string;
  store: Store;
  fetch?: FetchLike;
  clock?: Clock;
  /** Uniform in [0, 1); drives backoff jitter. */
  random?: () => number;
  /** The battery now, or undefined if unknown (then it never blocks training). */
  battery?: () => Promise<BatteryStatus | undefined>;
  /** The link type, and the platform's estimates (used until the client has measured its own). */
  network?: () => Promise<NetworkStatus | undefined>;
  encoder?: UpdateEncoder;
  /** Local training hyper-parameters. */
  training?: Partial<Omit<TrainOptions, "workScale">>;
  backoff?: Partial<BackoffOptions>;
  /** Most updates kept waiting for upload; at the bound, a round trains only once a flush has sent them. */
  maxPending?: number;
  /** How long to wait when there is nothing to do locally (battery low, no training data), in ms. */
  idleRetryMs?: number;
  /** Per-request timeout, in ms. */
  requestTimeoutMs?: number;
  onEvent?: (event: FedgeEvent) => void;
}

export const DEFAULT_TRAINING: Omit<TrainOptions, "workScale"> = {
  epochs: 1,
  learningRate: 0.01,
  batchSize: 32,
};
const DEFAULT_MAX_PENDING = 32;
const DEFAULT_IDLE_RETRY_MS = 10 * 60_000;
const DEFAULT_TIMEOUT_MS = 60_000;

/** Why a round did not train: the server's reason, or the device's own. */
export type WaitCause = WaitReason | "battery-low" | "offline" | "no-data";

export type RoundResult =
  | {
      action: "trained";
      version: number;
      updateId: string;
      examples: number;
      loss: number;
      workScale: number;
      flush: FlushResult;
      /** With a task that aggregates securely: how the version's secure round ended for this update. */
      secure?: SecureOutcome;
    }
  | { action: "wait"; retryAfterMs: number; reason?: WaitCause };

export interface EvaluationOutcome extends EvaluationResult {
  version: number;
  /** False while the server has no evaluations endpoint (404 not_found). */
  reported: boolean;
}

export class FedgeClient {
  readonly #options: FedgeClientOptions;
  readonly #keys: TaskKeys;
  readonly #clock: Clock;
  readonly #retry: RetryContext;
  readonly #metrics = new LinkMetrics();
  readonly #http: Http;
  readonly #auth: DeviceAuth;
  readonly #models: ModelCache;
  readonly #queue: UpdateQueue;
  readonly #stats: StatsCounter;
  readonly #uploader: Uploader;
  readonly #encoder: PersistentEncoder;
  #policy: TrainingPolicy | undefined;
  /** Consecutive rounds that could not reach the server; paces the next attempt. */
  #failures = 0;

  /** Throws FedgeUnsupportedError where Web Crypto is missing (a page that is not a secure context). */
  constructor(options: FedgeClientOptions) {
    requireWebCrypto();
    const { store, task } = options;
    this.#options = options;
    this.#keys = taskKeys(task);
    this.#clock = options.clock ?? systemClock;
    this.#retry = {
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      clock: this.#clock,
      random: options.random ?? Math.random,
    };
    this.#encoder = new PersistentEncoder(options.encoder ?? denseF32Encoder, store, this.#keys.encoderState);
    this.#http = new Http({
      baseUrl: options.baseUrl,
      // Bound to globalThis: browsers refuse a detached `fetch` ("Illegal invocation").
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      clock: this.#clock,
      metrics: this.#metrics,
      timeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const emit = (event: FedgeEvent) => options.onEvent?.(event);
    this.#auth = new DeviceAuth(this.#http, store, this.#keys.registration, task, this.#clock, (r) =>
      emit({ type: "registered", deviceId: r.deviceId }),
    );
    this.#models = new ModelCache(this.#http, this.#auth, store, this.#keys.modelPrefix);
    this.#queue = new UpdateQueue(store, this.#keys.queuePrefix);
    this.#stats = new StatsCounter(store, this.#keys.stats);
    this.#uploader = new Uploader({
      http: this.#http,
      auth: this.#auth,
      queue: this.#queue,
      stats: this.#stats,
      retry: this.#retry,
      emit,
    });
  }

  /** The stored registration, or a new one if there is none or its token has expired. */
  register(): Promise<Registration> {
    return this.#auth.current();
  }

  /** Asks whether to train now, reporting battery and link; stores a renewed token and the policy. */
  async checkIn(): Promise<CheckinAnswer> {
    // Registering first lets even the first check-in report a measured round trip.
    await this.#auth.current();
    const body = checkinReport(
      await this.battery(),
      await this.network(),
      this.#metrics,
      this.#encoder.residualRatio(),
    );
    const answer = await this.#auth.call((token) =>
      this.#http.json<CheckinAnswer>(this.path("checkin"), { method: "POST", token, body }),
    );
    if (answer.token !== undefined && answer.tokenExpiresAt !== undefined) {
      await this.#auth.renew(answer.token, answer.tokenExpiresAt);
    }
    if (answer.action === "train" && answer.policy !== undefined) {
      this.#policy = answer.policy;
      await setJson(this.#options.store, this.#keys.policy, answer.policy);
    }
    return answer;
  }

  /**
   * One training round: check in; on `train`, download the model, train, encode, queue and
   * upload the update. An unreachable server does not throw: the round answers `wait` with a
   * backoff delay, and an update already trained stays queued for a later flush.
   */
  async runOnce(trainer: LocalTrainer): Promise<RoundResult> {
    try {
      const result = await this.round(trainer);
      this.#failures = 0;
      return result;
    } catch (error) {
      if (!isTransient(error)) throw error;
      const retryAfterMs = error instanceof FedgeApiError ? error.retryAfterMs : undefined;
      const delay = retryDelay(this.#failures++, this.#retry.backoff, this.#retry.random, retryAfterMs);
      return { action: "wait", retryAfterMs: delay, reason: "offline" };
    }
  }

  /** Uploads queued updates (e.g. when connectivity returns), at most `limit` of them. */
  flush(limit?: number): Promise<FlushResult> {
    return this.#uploader.flush(limit);
  }

  /** Evaluates the current global model on local data and reports the result to the server. */
  /**
   * The task's ONNX graph, for on-device inference or evaluation with onnxruntime-web
   * (`InferenceSession.create(graph, { externalData: [{ path, data: weights }] })`), or
   * undefined if the operator has not set one. Cached in the store.
   */
  async graph(): Promise<Uint8Array | undefined> {
    return withRetries(() => this.#models.graph(this.path("model"), this.#keys.graph), this.#retry);
  }

  async evaluate(evaluator: Evaluator): Promise<EvaluationOutcome> {
    const model = await withRetries(() => this.#models.load(this.path("model")), this.#retry);
    let result: EvaluationResult;
    try {
      result = await evaluator.evaluate(model.weights);
    } finally {
      model.release();
    }
    // Only the four fields: the server refuses unknown keys, and evaluators may return more.
    const { loss, accuracy, examples } = result;
    const report = { version: model.version, loss, accuracy, examples };
    const post = (token: string) =>
      this.#http.send(this.path("evaluations"), {
        method: "POST",
        token,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(report),
        measure: "rtt",
      });
    try {
      await withRetries(() => this.#auth.call(post), this.#retry);
    } catch (error) {
      if (error instanceof FedgeApiError && error.code === "not_found") return { ...report, reported: false };
      throw error;
    }
    return { ...report, reported: true };
  }

  async stats(): Promise<ClientStats> {
    return { ...structuredClone(await this.#stats.counters()), pending: await this.#queue.size() };
  }

  private async round(trainer: LocalTrainer): Promise<RoundResult> {
    const idle = this.#options.idleRetryMs ?? DEFAULT_IDLE_RETRY_MS;
    const maxPending = this.#options.maxPending ?? DEFAULT_MAX_PENDING;
    const battery = await this.battery();
    if (!mayTrain(battery, await this.policy()))
      return { action: "wait", retryAfterMs: idle, reason: "battery-low" };
    if ((await this.#queue.size()) >= maxPending) {
      // Before checking in: a `train` answer comes once per version and must not be wasted on a
      // full queue. A flush that stops early leaves the queue full and says why (offline, 5xx).
      const flushed = await this.flush();
      if (flushed.error !== undefined) throw flushed.error;
    }
    const answer = await this.checkIn();
    if (answer.action === "wait") {
      const wait = { action: "wait", retryAfterMs: answer.retryAfterSeconds * 1000 } as const;
      return answer.reason === undefined ? wait : { ...wait, reason: answer.reason };
    }
    return this.train(trainer, answer, workScale(battery, await this.policy()));
  }

  private async train(trainer: LocalTrainer, answer: TrainAnswer, scale: number): Promise<RoundResult> {
    const model = await withRetries(() => this.#models.load(answer.model.manifestUrl), this.#retry);
    // The version assigned: the check-in's manifest URL names it, so a round closing meanwhile changes nothing.
    const baseVersion = model.version;
    const updateId = randomUpdateId();
    let trained: TrainResult;
    let frame: Uint8Array | undefined;
    try {
      const options = { ...DEFAULT_TRAINING, ...this.#options.training, workScale: scale };
      trained = await trainer.train(model.weights, options);
      // A secure round sends the update masked, not as a frame (and must not touch the encoder's residual).
      if (trained.examples > 0 && !answer.upload.secure) {
        const meta = {
          baseVersion,
          sampleWeight: trained.examples,
          updateId,
          layoutHash: answer.upload.layoutHash,
        };
        frame = await this.#encoder.encode(trained.update, meta, answer.upload.compression);
      }
    } finally {
      model.release();
    }
    const secure = answer.upload.secure;
    if (secure && trained.examples > 0) {
      // Not queued: a secure round is interactive, and ends with the version's round.
      const { deviceId } = await this.#auth.current();
      const outcome = await runSecureRound({
        device: deviceId,
        url: secure.url,
        update: trained.update,
        clipNorm: secure.clipNorm,
        transport: this.#secureTransport(),
        sleep: (ms) => this.#clock.sleep(ms),
        pollMs: Math.min(1000, (secure.phaseSeconds * 1000) / 10),
      });
      const { examples, loss } = trained;
      const flush = await this.flush(answer.upload.credits);
      return {
        action: "trained",
        version: baseVersion,
        updateId,
        examples,
        loss,
        workScale: scale,
        flush,
        secure: outcome,
      };
    }
    if (frame === undefined) {
      return {
        action: "wait",
        retryAfterMs: this.#options.idleRetryMs ?? DEFAULT_IDLE_RETRY_MS,
        reason: "no-data",
      };
    }
    const { examples, loss } = trained;
    const queued = { updateId, baseVersion, examples, url: answer.upload.url, createdAt: this.#clock.now() };
    await this.#queue.add(queued, frame);
    await this.#stats.count({ kind: "made" });
    // No more in flight than the server's window allows (its credits); the rest wait.
    const flush = await this.flush(answer.upload.credits);
    return { action: "trained", version: baseVersion, updateId, examples, loss, workScale: scale, flush };
  }

  /** The secure round's calls, authenticated as the device (a renewed token is used as soon as it comes). */
  #secureTransport(): SecureTransport {
    type View = Awaited<ReturnType<SecureTransport["get"]>>;
    const json = (url: string, body?: unknown) =>
      this.#auth.call((token) =>
        this.#http.json<View>(url, body === undefined ? { token } : { method: "POST", token, body }),
      );
    return {
      get: (url) => json(url),
      post: (url, body) => json(url, body),
      postBytes: (url, body) =>
        this.#auth.call((token) =>
          this.#http.request(
            url,
            {
              method: "POST",
              token,
              headers: { "Content-Type": "application/octet-stream" },
              body,
              measure: "upload",
            },
            (r) => r.json() as Promise<View>,
          ),
        ),
    };
  }

  /** The last policy the server sent (kept across restarts), or the default until it sends one. */
  private async policy(): Promise<TrainingPolicy> {
    this.#policy ??=
      (await getJson<TrainingPolicy>(this.#options.store, this.#keys.policy)) ?? DEFAULT_POLICY;
    return this.#policy;
  }

  // A failing probe never stops the client: unknown conditions are reported as unknown.
  private async battery(): Promise<BatteryStatus | undefined> {
    return this.#options.battery?.().catch(() => undefined);
  }

  private async network(): Promise<NetworkStatus | undefined> {
    return this.#options.network?.().catch(() => undefined);
  }

  private path(endpoint: "checkin" | "model" | "evaluations"): string {
    return `/v1/tasks/${encodeURIComponent(this.#options.task)}/${endpoint}`;
  }
}
