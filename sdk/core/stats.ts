/**
 * What became of the updates this device made, persisted so the counts survive restarts:
 * made = uploaded + rejectedStale + Σ rejected + pending, once nothing is in flight.
 */
import { getJson, type Store, setJson } from "./store";

export interface ClientStats {
  /** Updates trained and queued. */
  made: number;
  /** Accepted by the server (202). */
  uploaded: number;
  /** Refused as too stale (409 stale_update) and dropped. */
  rejectedStale: number;
  /** Refused for good with another 4xx, by error code, and dropped. */
  rejected: Record<string, number>;
  /** Queued, not yet accepted. */
  pending: number;
}

export type Counters = Omit<ClientStats, "pending">;

export type Outcome = { kind: "made" } | { kind: "uploaded" } | { kind: "rejected"; code: string };

export class StatsCounter {
  #counters: Counters | undefined;

  constructor(
    private readonly store: Store,
    private readonly key: string,
  ) {}

  async counters(): Promise<Counters> {
    this.#counters ??= (await getJson<Counters>(this.store, this.key)) ?? {
      made: 0,
      uploaded: 0,
      rejectedStale: 0,
      rejected: {},
    };
    return this.#counters;
  }

  async count(outcome: Outcome): Promise<void> {
    const c = await this.counters();
    if (outcome.kind === "made") c.made++;
    else if (outcome.kind === "uploaded") c.uploaded++;
    else if (outcome.code === "stale_update") c.rejectedStale++;
    else c.rejected[outcome.code] = (c.rejected[outcome.code] ?? 0) + 1;
    await setJson(this.store, this.key, c);
  }
}
