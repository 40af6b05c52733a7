/**
 * fedge's trust maths: detectors a cluster runs on each update, FoolsGold over device
 * histories, and per-device reputation with decay. Pure functions over plain data; each
 * cites the paper it follows.
 */
export {
  type DirectionOutlierOptions,
  directionOutlier,
  type PersistentOptions,
  persistentlyAgainst,
} from "./direction-outlier";
export {
  type DeviceUpdate,
  exactDuplicate,
  type NearDuplicateOptions,
  nearDuplicate,
  nearDuplicateGroups,
  type Upload,
} from "./duplicates";
export {
  addToHistory,
  type DeviceHistory,
  type FoolsGoldOptions,
  type FoolsGoldResult,
  foolsGold,
} from "./fools-gold";
export { type FreeRiderContext, type FreeRiderOptions, freeRider } from "./free-rider";
export { modifiedZScore, type NormOutlierOptions, normOutlier } from "./norm-outlier";
export { type ReplayOptions, replayedMovement } from "./replay";
export {
  aggregationWeightFactor,
  checkReputationConfig,
  DEFAULT_REPUTATION_CONFIG,
  decayTo,
  type Interaction,
  initialReputation,
  type Opinion,
  opinionOf,
  quarantine,
  type ReputationConfig,
  type ReputationState,
  recordInteraction,
  reputationOf,
} from "./reputation";
export { type AssignedWork, minimumWorkMs, tooFast } from "./too-fast";
export { cosine, dot, l2Norm, meanAbs } from "./vectors";
export type { DetectionKind, Verdict } from "./verdict";
