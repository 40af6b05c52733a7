/**
 * The adaptive compression controller (task config `compression.controller`): which level —
 * top-k density × bits per value — each device uploads at, learned from what levels earned.
 *
 * A contextual bandit, LinUCB with disjoint linear models (Li, Chu, Langford & Schapire,
 * "A contextual-bandit approach to personalized news article recommendation", WWW 2010,
 * Algorithm 1). The reward of sending one update at level a is
 *
 *   r = w_time · s + w_error · (1 − e) + w_use · max(0, cos)
 *
 * where s = max(−1, 1 − t/T) is the share of the upload budget T the upload left unused
 * (negative past it: t is rtt + bytes / uplink), e the residual-norm ratio the device's
 * error feedback reports (what the level left out, ‖residual‖ / ‖update + carried residual‖),
 * and cos the cosine of the update with the rest of its cluster's batch. The time term is
 * known before the upload from the device's measured link and the level's size, so it is
 * computed, not learned; the bandit learns the rest, g_a(x) = θ_aᵀx, per level a, with
 * context x = (1, battery, recent refusals, log uplink), and picks
 *
 *   argmax_a  w_time · ŝ_a(link) + θ_aᵀx + α · √(xᵀ A_a⁻¹ x).
 *
 * With a byte budget B (`byteBudget`: dense f32's bytes ÷ ratio), each level also pays
 * λ · bytes_a / B, where the price λ ≥ 0 is the budget constraint's multiplier, updated by
 * a projected subgradient step at each level assigned, of b predicted bytes:
 *
 *   λ ← max(0, λ + η · (b / B − 1))
 *
 * — the primal-dual scheme for bandits with a budget (Agrawal & Devanur, "Bandits with
 * concave rewards and convex knapsacks", EC 2014): assignments over budget raise the price
 * until the cluster's mean is back under B, and the price decays to 0 when the budget does
 * not bind. The step is taken at the assignment, not at the upload, because a round's
 * devices check in together, long before the first of their uploads arrives: priced at the
 * uploads, a whole wave would be assigned at the old price.
 *
 * Priors: one pseudo-observation per level of g = w_error · (1 − ê_a) + w_use / 2, with ê_a
 * = √(1 − density) + 2^(1 − bits), the residual of a flat spectrum — the reported ratios soon
 * replace it. Exploration is bounded: a device is never offered a level whose predicted
 * upload takes more than EXPLORE_LIMIT budgets (the smallest level is always allowed), so
 * exploring cannot starve a slow link.
 */
import type { TaskConfig } from "../protocol/task-config";
import { dot } from "../trust/vectors";

export type ControllerPolicy = Extract<TaskConfig["compression"]["controller"], { kind: "linucb" }>;
export type ValueBits = 32 | 16 | 8 | 4;

export interface Level {
  density: number;
  bits: ValueBits;
}

/** What a device's check-in tells the controller. */
export interface LinkContext {
  uplinkBytesPerSecond: number;
  rttMs: number;
  /** 0…1; 1 when charging or unknown. */
  battery: number;
  /** Uploads refused for load (429/503) since the device's previous check-in. */
  refused: number;
}

export interface ArmState {
  /** A⁻¹, row-major FEATURES × FEATURES, kept by Sherman–Morrison updates. */
  ainv: number[];
  b: number[];
  pulls: number;
}

export interface ControllerState {
  /** The levels the arms stand for, as configured when the state was made. */
  levels: Level[];
  arms: ArmState[];
  /** λ, the price per budget's worth of bytes (0 without a byte budget; absent in older states). */
  price?: number;
}

/** Past this many upload budgets, a level is not offered to the device at all. */
export const EXPLORE_LIMIT = 2;
/** Bytes of an update frame around its payload (shared/protocol/frame.ts). */
const FRAME_HEADER_BYTES = 48;
export const FEATURES = 4;

/** The levels `densities × bits`, smallest predicted upload first (ties: less compression first). */
export function levelsOf(policy: ControllerPolicy, dim: number): Level[] {
  const seen = new Set<string>();
  const levels: Level[] = [];
  for (const density of policy.densities)
    for (const bits of policy.bits) {
      const key = `${density}/${bits}`;
      if (seen.has(key)) continue;
      seen.add(key);
      levels.push({ density, bits });
    }
  return levels.sort(
    (a, b) => predictedBytes(a, dim) - predictedBytes(b, dim) || b.density - a.density || b.bits - a.bits,
  );
}

/**
 * The size of an update at a level: k = ⌈ρd⌉ values of `bits` bits (8 and 4 with an f32
 * scale per block of 512), and their indices — below half density at the Golomb–Rice cost of
 * ≈ log₂(1/ρ) + 1.5 bits each, else a d-bit bitmap; dense f32 has none (docs/codecs.md).
 */
export function predictedBytes(level: Level, dim: number): number {
  const k = Math.ceil(level.density * dim);
  const indexBits =
    level.density >= 1 && level.bits === 32
      ? 0
      : level.density >= 0.5
        ? dim / k
        : Math.log2(1 / level.density) + 1.5;
  const scales = level.bits <= 8 ? 4 * Math.ceil(k / 512) : 0;
  return FRAME_HEADER_BYTES + scales + Math.ceil((k * (level.bits + indexBits)) / 8);
}

export function uploadSeconds(bytes: number, link: LinkContext): number {
  return link.rttMs / 1000 + bytes / Math.max(1, link.uplinkBytesPerSecond);
}

/** The byte budget B: a dense f32 frame's bytes ÷ the ratio; null without one. */
export function budgetBytes(policy: ControllerPolicy, dim: number): number | null {
  return policy.byteBudget ? (FRAME_HEADER_BYTES + 4 * dim) / policy.byteBudget.ratio : null;
}

/** λ after assigning a level of `bytes` predicted bytes (unchanged without a byte budget). */
export function nextPrice(policy: ControllerPolicy, dim: number, price: number, bytes: number): number {
  const budget = budgetBytes(policy, dim);
  if (budget === null || !policy.byteBudget) return price;
  return Math.max(0, price + policy.byteBudget.step * (bytes / budget - 1));
}

/** The share of the budget an upload of `seconds` leaves unused: 1 instant, 0 on budget, −1 at two budgets or more. */
export function timeSaved(seconds: number, budgetSeconds: number): number {
  return Math.max(-1, 1 - seconds / budgetSeconds);
}

/** The reward of one upload, and the part of it the bandit learns (all but the time term). */
export function rewardOf(
  policy: ControllerPolicy,
  observed: { uploadSeconds: number; residualRatio: number; usefulness: number },
): { reward: number; learned: number } {
  const w = policy.reward;
  const error = Math.min(1, Math.max(0, observed.residualRatio));
  const learned = w.error * (1 - error) + w.usefulness * Math.max(0, Math.min(1, observed.usefulness));
  return {
    reward: w.time * timeSaved(observed.uploadSeconds, policy.uploadBudgetSeconds) + learned,
    learned,
  };
}

export function features(link: LinkContext): number[] {
  return [
    1,
    Math.min(1, Math.max(0, link.battery)),
    Math.min(1, link.refused / 4),
    // log₁₀ of bytes per second over 8: 100 kbit/s ≈ 0.51, 50 Mbit/s ≈ 0.85.
    Math.min(1, Math.max(0, Math.log10(Math.max(1, link.uplinkBytesPerSecond)) / 8)),
  ];
}

export function initialState(policy: ControllerPolicy, dim: number): ControllerState {
  const levels = levelsOf(policy, dim);
  const w = policy.reward;
  return {
    levels,
    arms: levels.map((level) => {
      const residual = Math.min(1, Math.sqrt(1 - level.density) + 2 ** (1 - level.bits));
      const prior = w.error * (1 - residual) + w.usefulness / 2;
      // A = I, b = prior · e₁: θ = (prior, 0, 0, 0), worth one observation of the intercept.
      const ainv = Array.from({ length: FEATURES * FEATURES }, (_, i) => (i % (FEATURES + 1) === 0 ? 1 : 0));
      return { ainv, b: [prior, 0, 0, 0], pulls: 0 };
    }),
  };
}

/** Whether a stored state still describes the policy's levels (a changed config starts afresh). */
export function stateFits(state: ControllerState, policy: ControllerPolicy, dim: number): boolean {
  const levels = levelsOf(policy, dim);
  return (
    state.levels.length === levels.length &&
    state.levels.every((l, i) => l.density === levels[i]?.density && l.bits === levels[i]?.bits)
  );
}

function matVec(m: readonly number[], x: readonly number[]): number[] {
  return Array.from({ length: FEATURES }, (_, i) => {
    let s = 0;
    for (let j = 0; j < FEATURES; j++) s += (m[i * FEATURES + j] ?? 0) * (x[j] ?? 0);
    return s;
  });
}

/** The arm's estimate of the learned part of the reward in context x: θᵀx, θ = A⁻¹b. */
export function estimate(a: ArmState, x: readonly number[]): number {
  return dot(matVec(a.ainv, a.b), x);
}

export interface Choice {
  arm: number;
  level: Level;
  /** The score the chosen arm won with, and its confidence bonus. */
  score: number;
  bonus: number;
}

/** The level for a device with this link, at dimension `dim`. */
export function choose(
  state: ControllerState,
  policy: ControllerPolicy,
  dim: number,
  link: LinkContext,
): Choice {
  const x = features(link);
  const budget = budgetBytes(policy, dim);
  const price = budget === null ? 0 : (state.price ?? 0);
  let best: Choice | null = null;
  for (let arm = 0; arm < state.levels.length; arm++) {
    const level = state.levels[arm] as Level;
    const bytes = predictedBytes(level, dim);
    const seconds = uploadSeconds(bytes, link);
    if (arm > 0 && seconds > EXPLORE_LIMIT * policy.uploadBudgetSeconds) continue;
    const a = state.arms[arm] as ArmState;
    const bonus = policy.alpha * Math.sqrt(Math.max(0, dot(x, matVec(a.ainv, x))));
    const score =
      policy.reward.time * timeSaved(seconds, policy.uploadBudgetSeconds) +
      dot(matVec(a.ainv, a.b), x) +
      bonus -
      (budget === null ? 0 : (price * bytes) / budget);
    // Levels run smallest first: a tie goes to the later, less compressed one.
    if (best === null || score >= best.score) best = { arm, level, score, bonus };
  }
  if (best === null) throw new RangeError("a controller needs at least one level");
  return best;
}

/** Adds one observation of the learned part of the reward for `arm` in context `x`: A += xxᵀ, b += g·x. */
export function learn(state: ControllerState, arm: number, x: readonly number[], learned: number): void {
  const a = state.arms[arm];
  if (!a) throw new RangeError(`no arm ${arm}`);
  // Sherman–Morrison: (A + xxᵀ)⁻¹ = A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x), A symmetric.
  const u = matVec(a.ainv, x);
  const denominator = 1 + dot(x, u);
  for (let i = 0; i < FEATURES; i++)
    for (let j = 0; j < FEATURES; j++)
      a.ainv[i * FEATURES + j] = (a.ainv[i * FEATURES + j] ?? 0) - ((u[i] ?? 0) * (u[j] ?? 0)) / denominator;
  for (let i = 0; i < FEATURES; i++) a.b[i] = (a.b[i] ?? 0) + learned * (x[i] ?? 0);
  a.pulls += 1;
}
