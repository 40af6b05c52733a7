/**
 * The JSON the device API exchanges (docs/protocol.md#endpoints), as the client reads it:
 * the types of the wire contract's schemas (shared/protocol/api.ts), imported as types
 * only, so the SDK carries no schema code.
 */
export type {
  CheckinAnswer,
  CheckinRequest,
  EvaluationAccepted,
  EvaluationReport,
  LayoutTensor,
  Manifest,
  ModelRef,
  NetworkStatus,
  NetworkType,
  Registration,
  TrainAnswer,
  UpdateReceipt,
  WaitAnswer,
  WaitReason,
} from "../../shared/protocol/api";

import type { CompressionHint as WireCompressionHint } from "../../shared/protocol/api";

/** What the client accepts as a hint: any number (the encoder ignores what it cannot honour). */
export type CompressionHint = { [K in keyof WireCompressionHint]?: number };
