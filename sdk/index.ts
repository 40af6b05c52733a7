/**
 * The fedge device SDK: the client, its pluggable parts and the platform adapters.
 * Node-only code (the file store) is imported from its own module,
 * `sdk/adapters/file-store.node`, so that browser bundles never see `node:` imports.
 */
export { alwaysCharging, type BatteryProbe, browserBattery } from "./adapters/battery";
export { type IdbFactory, IndexedDbStore } from "./adapters/indexeddb-store";
export { MemoryStore } from "./adapters/memory-store";
export { browserNetwork } from "./adapters/network";
export type {
  CheckinAnswer,
  CheckinRequest,
  CompressionHint,
  Manifest,
  NetworkStatus,
  NetworkType,
  Registration,
  TrainAnswer,
  WaitAnswer,
  WaitReason,
} from "./core/api-types";
export { type BackoffOptions, DEFAULT_BACKOFF } from "./core/backoff";
export {
  type BatteryStatus,
  DEFAULT_POLICY,
  mayTrain,
  type TrainingPolicy,
  workScale,
} from "./core/battery-policy";
export {
  DEFAULT_TRAINING,
  type EvaluationOutcome,
  FedgeClient,
  type FedgeClientOptions,
  type RoundResult,
  type WaitCause,
} from "./core/client";
export { type Clock, systemClock } from "./core/clock";
export { denseF32Encoder, type EncodeMeta, type UpdateEncoder } from "./core/encoder";
export { type ErrorFeedbackEncoderOptions, errorFeedbackEncoder } from "./core/error-feedback-encoder";
export { FedgeApiError, FedgeBlockedError, FedgeNetworkError, FedgeUnsupportedError } from "./core/errors";
export type { FetchLike } from "./core/http";
export { ModelIntegrityError } from "./core/model-cache";
export type { ClientStats } from "./core/stats";
export type { Store, StoreValue } from "./core/store";
export type {
  EvaluationResult,
  Evaluator,
  LocalTrainer,
  Trainer,
  TrainOptions,
  TrainResult,
} from "./core/trainer";
export type { FedgeEvent, FlushResult, Rejection } from "./core/uploader";
