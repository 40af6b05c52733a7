/**
 * Flow control at the cluster (docs: DESIGN.md §5 "Congestion"), as pure functions over
 * JSON-serialisable state with the clock passed in, so a Durable Object can persist the state
 * in SQLite, rebuild it after eviction, and tests can use a fake clock. Each module cites its
 * algorithm and states its rule.
 */
export {
  type AimdConfig,
  type AimdState,
  aimdUpdate,
  type CongestionSignal,
  validateAimdConfig,
} from "./aimd";
export {
  DEFAULT_DRAIN_HALF_LIFE_MS,
  type DrainState,
  drainRate,
  drainStart,
  observeDrain,
} from "./drain-rate";
export {
  type FairBudgetConfig,
  type FairBudgetDecision,
  type FairBudgetState,
  fairBudgetAllowances,
  fairBudgetSpend,
  validateFairBudgetConfig,
} from "./fair-budget";
export { jainIndex, maxMinFair } from "./fair-share";
export {
  type GcraDecision,
  type GcraLimit,
  type GcraState,
  gcraAdmit,
  gcraIsIdle,
  validateGcraLimit,
} from "./gcra";
export {
  type OverloadDecision,
  type OverloadInput,
  overloadDecision,
  validateOverloadInput,
} from "./overload";
export { type Pace, type PaceInput, paceDelayMs, paceSteering, validatePaceInput } from "./pace-steering";
