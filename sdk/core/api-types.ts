/** The JSON the device API exchanges (docs/protocol.md#endpoints), as the client reads it. */
import type { BatteryStatus, TrainingPolicy } from "./battery-policy";

export interface LayoutTensor {
  name: string;
  shape: number[];
  offset: number;
}

/** `POST /v1/tasks/:task/devices` → 201. Stored as is: it is the device's identity. */
export interface Registration {
  deviceId: string;
  token: string;
  tokenExpiresAt: string;
  region: string;
  cluster: number;
  task: {
    id: string;
    parameters: number;
    layout: LayoutTensor[];
    layoutHash: string;
    codecs: string[];
    maxUploadBytes: number;
    modelVersion: number;
  };
}

export type NetworkType = "wifi" | "cellular" | "ethernet" | "unknown";

export interface NetworkStatus {
  type: NetworkType;
  rttMs?: number;
  uplinkBytesPerSecond?: number;
}

export interface CheckinRequest {
  battery?: BatteryStatus;
  network?: NetworkStatus;
}

/** A hint from the server on how to compress; the encoder decides what it can honour. */
/** The compression the server assigns (task config `compression`): top-k density and bits per value. */
export interface CompressionHint {
  density?: number;
  bits?: number;
}

export interface ModelRef {
  version: number;
  manifestUrl: string;
}

interface TokenRenewal {
  token?: string;
  tokenExpiresAt?: string;
}

export interface TrainAnswer extends TokenRenewal {
  action: "train";
  round: number;
  deadline: string;
  model: ModelRef;
  upload: {
    url: string;
    baseVersion: number;
    layoutHash: string;
    compression?: CompressionHint;
    /** How many updates this device may have in flight now (the server's flow-control window). */
    credits?: number;
  };
  policy?: TrainingPolicy;
}

export type WaitReason = "assigned" | "closing" | "battery";

export interface WaitAnswer extends TokenRenewal {
  action: "wait";
  retryAfterSeconds: number;
  reason?: WaitReason;
  round?: number;
  model: ModelRef;
}

export type CheckinAnswer = TrainAnswer | WaitAnswer;

/** `GET /v1/tasks/:task/model`. */
export interface Manifest {
  version: number;
  parameters: number;
  layoutHash: string;
  byteLength: number;
  sha256: string;
  weightsUrl: string;
  /** The task's ONNX graph (initializers in the weights blob as external data), if the operator set one. */
  graph?: { url: string; sha256: string; byteLength: number } | null;
}

/** `POST /v1/tasks/:task/evaluations`. */
export interface EvaluationReport {
  version: number;
  loss: number;
  accuracy: number;
  examples: number;
}
