/**
 * Every error a client can see has a stable code and an HTTP status, mapped in one
 * place (workers/error-handler.ts). Clients receive `{ error: { code, message } }`.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  invalid_config: 400,
  bad_frame: 400,
  dimension_mismatch: 422,
  layout_mismatch: 422,
  non_finite_value: 422,
  unknown_base_version: 422,
  sample_weight_too_large: 422,
  aggregate_overflow: 422,
  unauthorized: 401,
  forbidden: 403,
  quarantined: 403,
  not_found: 404,
  task_not_found: 404,
  version_not_found: 404,
  task_conflict: 409,
  stale_update: 409,
  not_assigned: 409,
  duplicate_contribution: 409,
  duplicate_evaluation: 409,
  privacy_budget_spent: 409,
  secure_round_closed: 409,
  secure_round_required: 409,
  payload_too_large: 413,
  rate_limited: 429,
  window_full: 429,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
  misconfigured: 503,
  overloaded: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class FedgeError extends Error {
  override readonly name = "FedgeError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For 429 and 503: when the client may try again, sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}
