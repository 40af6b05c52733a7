/**
 * What the coordinator keeps and answers about a task: its record, model manifests,
 * rounds, views, version records and dead-letter reports, and the R2 keys of its objects.
 */
import type { MetricSet } from "../shared/metrics/metric-set";
import type { TaskConfig } from "../shared/protocol/task-config";
import type { Region } from "../shared/regions";
import type { RegionShape } from "./directory";

export interface TaskRecord {
  id: string;
  config: TaskConfig;
  /** 8 hex digits: the frame's bytes 40..43 (see task-config.ts). */
  layoutHash: string;
  createdAt: string;
}

export interface ModelManifest {
  task: string;
  version: number;
  parameters: number;
  layoutHash: string;
  byteLength: number;
  /** Hex SHA-256 of the weights blob. */
  sha256: string;
  /** R2 key of the weights blob. */
  key: string;
  createdAt: string;
  /** The round whose updates produced this version (0 for the initial model). */
  fromRound: number;
  /** Device updates aggregated into this version. */
  updates: number;
  /** For a version published by a rollback: the version whose weights it republishes. */
  rollbackOf: number | null;
}

export interface RoundState {
  round: number;
  openedAt: number;
  deadlineAt: number;
  /** With round.overSelection: the share of each cluster's members this round lets train (absent: all). */
  selectionShare?: number;
}

/** The task's ONNX graph, whose initializers are the weights blob (stored content-addressed in R2). */
export interface GraphInfo {
  sha256: string;
  byteLength: number;
  key: string;
}

export const graphKey = (task: string, sha256: string) => `models/${task}/graph/${sha256}.onnx`;

export interface TaskView {
  task: TaskRecord;
  graph: GraphInfo | null;
  model: ModelManifest;
  round: RoundState & { updates: number; publishing: boolean };
  optimizer: { kind: string; step: number };
  /** With privacy.dp: ε spent at the task's δ, and whether the budget has room for another version. */
  privacy: PrivacyView | null;
  /** Quality-aware compression's factor on the assigned density (compression.quality): 1 unless the loss stalled. */
  compressionShift: number;
  /** Inner levels of each region's aggregation tree, as its Directory reported them (absent: 0). */
  tree: Partial<Record<Region, number>>;
}

export interface PrivacyView {
  epsilon: number;
  delta: number;
  budget: number | null;
  /** No further version fits the budget: check-ins and uploads are refused (privacy_budget_spent). */
  spent: boolean;
  /** Versions published with noise. */
  versions: number;
}

export interface VersionEvaluation {
  version: number;
  /** Devices that reported on this version. */
  reports: number;
  examples: number;
  /** Example-weighted means. */
  loss: number;
  accuracy: number;
}

export interface VersionRecord {
  version: number;
  round: number;
  updates: number;
  weight: number;
  createdAt: string;
  rollbackOf: number | null;
  /** With privacy.dp: ε spent by the task once this version was published. */
  epsilon: number | null;
}

/** A batch that a tier dead-lettered: its parent refused it for good (docs/architecture.md#dead-letters). */
export interface DeadLetterReport {
  /** The tier that held the batch: a cluster, a region, or the coordinator itself. */
  tier: string;
  seq: number;
  /** Device updates in the batch. */
  updates: number;
  /** Its inputs' sources: device ids at a cluster, cluster names at a region, region names at the coordinator. */
  sources: string[];
  code: string;
  message: string;
  at: number;
}

/** Where the task's acknowledged updates are: what a load test reconciles its 202s against. */
export interface UpdateTotals {
  /** Device updates in every published version. */
  published: number;
  /** In the coordinator's open round, or in a round being published. */
  coordinator: number;
  /** Per region: in the region aggregator's open batch, or in its batch being sent. */
  regions: Partial<Record<Region, number>>;
}

/** The admin view: the task view, the latest versions, dead letters and evaluations. */
export interface AdminTaskView extends TaskView {
  totals: UpdateTotals;
  versions: VersionRecord[];
  deadLetters: { batches: number; updates: number; recent: DeadLetterReport[] };
  evaluations: VersionEvaluation[];
}

/** How many of the latest versions the admin view lists. */
export const LISTED_VERSIONS = 20;
/** How many of the latest versions monitoring sees (the dashboard's time axis). */
export const MONITORED_VERSIONS = 200;

/** What monitoring needs from the coordinator, in one call: shared/metrics/status.ts turns it into the status. */
export interface MonitoringSnapshot {
  view: TaskView;
  metrics: MetricSet;
  versions: VersionRecord[];
  evaluations: VersionEvaluation[];
  regions: Partial<Record<Region, RegionShape>>;
  deadLetteredUpdates: number;
}

export const weightsKey = (task: string, version: number) => `models/${task}/v${version}.bin`;
export const manifestKey = (task: string, version: number) => `models/${task}/v${version}.json`;
