/**
 * An in-memory fake of the fedge device API (docs/protocol.md), for the client's unit tests:
 * the same paths, statuses and error bodies, with a few knobs — scripted failures per route,
 * going offline, forgetting devices, renewing tokens — and a record of what it was sent.
 */
import { parseFrame, toHex } from "../../../shared/protocol/frame";
import type {
  CheckinAnswer,
  CheckinRequest,
  EvaluationAccepted,
  EvaluationReport,
  Manifest,
  Registration,
  TrainAnswer,
  UpdateReceipt,
} from "../api-types";
import type { TrainingPolicy } from "../battery-policy";
import type { FetchLike } from "../http";
import type { FakeClock } from "./fake-clock";

export type Route = "register" | "checkin" | "manifest" | "weights" | "updates" | "evaluations";

/** A scripted answer: the network fails, or the server answers with this status and error code. */
export type Scripted = "offline" | { status: number; code?: string; headers?: Record<string, string> };

export interface ReceivedUpdate {
  updateId: string;
  baseVersion: number;
  sampleWeight: number;
  values: Float32Array;
  token: string;
}

export const TASK = "demo";
export const LAYOUT_HASH = "6e54213a";
const TOKEN_LIFETIME_MS = 30 * 86_400_000;

export class FakeFedge {
  version = 0;
  weights: Float32Array;
  offline = false;
  /** Sent with every `train` answer when set. */
  policy: TrainingPolicy | undefined;
  compression: TrainAnswer["upload"]["compression"];
  /** The next check-in answers with a renewed token. */
  renewNextCheckin = false;
  /** Credits the next `train` answers grant (upload.credits), or none. */
  credits: number | undefined = undefined;
  evaluationsEnabled = true;
  /** How long requests take, on the fake clock: uploads, and everything else. */
  latency = { requestMs: 0, uploadMs: 0 };
  /** Weights are served with their first byte flipped (the manifest keeps the true sha256). */
  corruptWeights = false;
  readonly checkins: CheckinRequest[] = [];
  /** Every request that reached a route, including those then failed by a script. */
  readonly requests: { route: Route; headers: Headers; body: unknown }[] = [];
  /** Every upload attempt that reached the server, accepted or not. */
  readonly attempts: ReceivedUpdate[] = [];
  readonly accepted = new Map<string, ReceivedUpdate>();
  readonly evaluations: EvaluationReport[] = [];
  registrations = 0;
  /** Weights requests answered 304 Not Modified. */
  notModified = 0;
  readonly #tokens = new Map<string, string>(); // token → device id
  readonly #assigned = new Map<string, number>(); // device id → version last assigned
  readonly #script = new Map<Route, Scripted[]>();

  constructor(
    readonly clock: FakeClock,
    readonly dim = 4,
  ) {
    this.weights = new Float32Array(dim);
  }

  /** The next requests to `route` get these outcomes, in order, before normal service resumes. */
  script(route: Route, ...outcomes: Scripted[]): void {
    this.#script.set(route, [...(this.#script.get(route) ?? []), ...outcomes]);
  }

  /** Publishes the next version. */
  publish(weights: Float32Array): void {
    this.version++;
    this.weights = weights;
  }

  /** Every token stops working, as when devices are forgotten or the secret rotates. */
  forgetDevices(): void {
    this.#tokens.clear();
  }

  readonly fetch: FetchLike = async (input, init = {}) => {
    if (this.offline) throw new TypeError("fetch failed");
    const url = new URL(input);
    const method = init.method ?? "GET";
    const headers = new Headers(init.headers);
    const route = routeOf(method, url.pathname);
    this.clock.advance(route === "updates" ? this.latency.uploadMs : this.latency.requestMs);
    if (route === undefined) return error(404, "not_found");
    this.requests.push({ route, headers, body: init.body });
    const scripted = this.#script.get(route)?.shift();
    if (scripted === "offline") throw new TypeError("fetch failed");
    if (scripted !== undefined)
      return error(scripted.status, scripted.code ?? `http_${scripted.status}`, scripted.headers);
    if (route === "register") return this.register();
    const token = headers.get("Authorization")?.replace(/^Bearer /, "") ?? "";
    const deviceId = this.#tokens.get(token);
    if (deviceId === undefined) return error(401, "unauthorized");
    const body = init.body;
    switch (route) {
      case "checkin":
        return this.checkin(deviceId, JSON.parse(typeof body === "string" ? body : "{}") as CheckinRequest);
      case "manifest":
        return json(200, await this.manifest());
      case "weights":
        return this.weightsResponse(url.pathname, headers);
      case "updates":
        return this.update(token, body as Uint8Array);
      case "evaluations": {
        if (!this.evaluationsEnabled) return error(404, "not_found");
        const report = JSON.parse(body as string) as EvaluationReport;
        this.evaluations.push(report);
        return json(202, { accepted: true, examples: report.examples } satisfies EvaluationAccepted);
      }
    }
  };

  private register(): Response {
    const n = ++this.registrations;
    const deviceId = `device-${n}`;
    const token = `token-${n}`;
    this.#tokens.set(token, deviceId);
    const registration: Registration = {
      deviceId,
      token,
      tokenExpiresAt: new Date(this.clock.now() + TOKEN_LIFETIME_MS).toISOString(),
      region: "weur",
      cluster: 0,
      task: {
        id: TASK,
        parameters: this.dim,
        layout: [{ name: "w", shape: [this.dim], offset: 0 }],
        layoutHash: LAYOUT_HASH,
        codecs: ["dense-f32"],
        maxUploadBytes: 48 + 4 * this.dim,
        modelVersion: this.version,
      },
    };
    return json(201, registration);
  }

  private checkin(deviceId: string, request: CheckinRequest): Response {
    this.checkins.push(request);
    let renewal = {};
    if (this.renewNextCheckin) {
      this.renewNextCheckin = false;
      const token = `renewed-${deviceId}-${this.version}`;
      this.#tokens.set(token, deviceId);
      renewal = { token, tokenExpiresAt: new Date(this.clock.now() + TOKEN_LIFETIME_MS).toISOString() };
    }
    const model = { version: this.version, manifestUrl: `/v1/tasks/${TASK}/model` };
    if (this.#assigned.get(deviceId) === this.version) {
      return json(
        200,
        {
          action: "wait",
          retryAfterSeconds: 60,
          reason: "assigned",
          model,
          ...renewal,
        } satisfies CheckinAnswer,
        {
          "Retry-After": "60",
        },
      );
    }
    this.#assigned.set(deviceId, this.version);
    return json(200, {
      action: "train",
      round: this.version + 1,
      deadline: new Date(this.clock.now() + 600_000).toISOString(),
      model,
      upload: {
        url: `/v1/tasks/${TASK}/updates`,
        baseVersion: this.version,
        layoutHash: LAYOUT_HASH,
        ...(this.compression && { compression: this.compression }),
        ...(this.credits !== undefined && { credits: this.credits }),
      },
      ...(this.policy && { policy: this.policy }),
      ...renewal,
    } satisfies CheckinAnswer);
  }

  async manifest(): Promise<Manifest> {
    const bytes = new Uint8Array(this.weights.buffer.slice(0));
    return {
      task: TASK,
      version: this.version,
      parameters: this.dim,
      layout: [{ name: "w", shape: [this.dim], offset: 0 }],
      layoutHash: LAYOUT_HASH,
      byteLength: bytes.byteLength,
      sha256: toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))),
      createdAt: new Date(this.clock.now()).toISOString(),
      weightsUrl: `/v1/tasks/${TASK}/model/${this.version}/weights`,
      graph: null,
    };
  }

  private async weightsResponse(path: string, headers: Headers): Promise<Response> {
    const version = Number(path.split("/")[5]);
    if (version !== this.version) return error(404, "version_not_found");
    const etag = `"${(await this.manifest()).sha256}"`;
    if (headers.get("If-None-Match") === etag) {
      this.notModified++;
      return new Response(null, { status: 304, headers: { ETag: etag } });
    }
    const bytes = new Uint8Array(this.weights.buffer.slice(0));
    if (this.corruptWeights) bytes[0]! ^= 0xff;
    return new Response(bytes, { status: 200, headers: { ETag: etag } });
  }

  private update(token: string, body: Uint8Array): Response {
    const { header, payload } = parseFrame(body);
    const values = new Float32Array(payload.slice().buffer);
    const received = { ...header, values, token };
    this.attempts.push(received);
    if (!this.accepted.has(header.updateId)) this.accepted.set(header.updateId, received);
    const receipt: UpdateReceipt = {
      updateId: header.updateId,
      status: "accepted",
      receivedAt: new Date(this.clock.now()).toISOString(),
    };
    return json(202, receipt);
  }
}

function routeOf(method: string, path: string): Route | undefined {
  const rest = path.startsWith(`/v1/tasks/${TASK}/`) ? path.slice(`/v1/tasks/${TASK}/`.length) : undefined;
  if (method === "POST" && rest === "devices") return "register";
  if (method === "POST" && rest === "checkin") return "checkin";
  if (method === "GET" && rest === "model") return "manifest";
  if (method === "GET" && rest !== undefined && /^model\/\d+\/weights$/.test(rest)) return "weights";
  if (method === "POST" && rest === "updates") return "updates";
  if (method === "POST" && rest === "evaluations") return "evaluations";
  return undefined;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

function error(status: number, code: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code, message: `fake ${code}` } }, headers);
}
