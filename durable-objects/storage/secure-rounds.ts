/**
 * A cluster's secure-aggregation rounds (shared/privacy/secagg/protocol.ts), one per model
 * version: what devices sent in each phase, in the cluster's SQLite, and the phase
 * machine that relays it. Phases move on when every member expected has answered, or at
 * the phase's deadline with at least t of them (else the round is abandoned, with its
 * reason). Once unmasked, or abandoned, a round's keys, shares and masked inputs are
 * deleted: only the sum goes on, into the cluster's log.
 */
import { FedgeError } from "../../shared/errors";
import {
  type Advertisement,
  type EncryptedShare,
  fixedPointScale,
  SecAggError,
  type UnmaskShare,
  unmaskSum,
} from "../../shared/privacy/secagg/protocol";
import type { BlobStore } from "./blob-store";

export interface SecurePolicy {
  clipNorm: number;
  /** t as a share of the roster (> ½). */
  threshold: number;
  phaseMs: number;
  minMembers: number;
  /** With distributed DP: the std of the discrete Gaussian each device adds, in update units (else 0). */
  noiseStd: number;
}

export type SecurePhase = "keys" | "shares" | "masked" | "unmask" | "done" | "abandoned";

/** The most devices one round takes: it fixes the fixed-point scale before anyone joins. */
export const MAX_ROSTER = 1000;

/** What a device is told about a round. */
export interface SecureRoundView {
  version: number;
  /** What every key, share and mask of the round is bound to (roundName). */
  name: string;
  phase: SecurePhase;
  /** When the current phase stops waiting (ms since the epoch). */
  deadlineAt: number;
  /** t, once the roster is fixed. */
  threshold: number | null;
  /** From the shares phase on: every member's public keys, in roster order. */
  roster: Advertisement[] | null;
  /** From the masked phase on: the shares addressed to the asking device. */
  incoming: EncryptedShare[] | null;
  /** In the unmask phase: whose masked inputs arrived (U3). */
  survivors: string[] | null;
  /** Quantize with value ↦ round(clamp(value, ±bound) · scale), then mask. */
  bound: number;
  scale: number;
  /** With distributed DP: add N_Z(0, (noiseStd · scale)²) to each quantized value before masking. */
  noiseStd: number;
  /** Whether the asking device is still part of the round at this phase. */
  member: boolean;
  /** Why the round was abandoned. */
  reason: string | null;
}

type RoundRow = {
  version: number;
  phase: SecurePhase;
  deadline_at: number;
  threshold: number | null;
  roster: string | null;
  shared: string | null;
  survivors: string | null;
  reason: string | null;
  /** The fixed point and the noise the round started with: a task change applies to later rounds. */
  bound: number;
  scale: number;
  noise: number;
};

const blobKey = (version: number, device: string) => `sa:${version}:${device}`;

export class SecureRounds {
  readonly #sql: SqlStorage;
  readonly #blobs: BlobStore;

  constructor(sql: SqlStorage, blobs: BlobStore) {
    this.#sql = sql;
    this.#blobs = blobs;
    sql.exec(`CREATE TABLE IF NOT EXISTS sa_rounds (
      version INTEGER PRIMARY KEY, phase TEXT NOT NULL, deadline_at INTEGER NOT NULL, threshold INTEGER,
      roster TEXT, shared TEXT, survivors TEXT, reason TEXT,
      bound REAL NOT NULL, scale REAL NOT NULL, noise REAL NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS sa_keys (
      version INTEGER NOT NULL, device TEXT NOT NULL, c_pk TEXT NOT NULL, s_pk TEXT NOT NULL,
      seq INTEGER NOT NULL, PRIMARY KEY (version, device))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS sa_shares (
      version INTEGER NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, ciphertext TEXT NOT NULL,
      PRIMARY KEY (version, sender, recipient))`);
    sql.exec(
      "CREATE TABLE IF NOT EXISTS sa_masked (version INTEGER NOT NULL, device TEXT NOT NULL, PRIMARY KEY (version, device))",
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS sa_unmask (
      version INTEGER NOT NULL, device TEXT NOT NULL, shares TEXT NOT NULL, PRIMARY KEY (version, device))`);
  }

  static scale(policy: SecurePolicy): number {
    return fixedPointScale(policy.clipNorm, MAX_ROSTER);
  }

  #round(version: number): RoundRow | undefined {
    return this.#sql.exec<RoundRow>("SELECT * FROM sa_rounds WHERE version = ?", version).toArray()[0];
  }

  #require(version: number, phase: SecurePhase): RoundRow {
    const round = this.#round(version);
    if (round?.phase === phase) return round;
    const now = round
      ? `is in its ${round.phase} phase${round.reason ? ` (${round.reason})` : ""}`
      : "has not started";
    throw new FedgeError(
      "secure_round_closed",
      `the secure round for version ${version} ${now}, not ${phase}`,
    );
  }

  /** Phase 1: a device assigned `version` advertises its keys; `expected` members are assigned it. */
  join(policy: SecurePolicy, version: number, adv: Advertisement, expected: number, now: number): void {
    const round = this.#round(version);
    if (!round) {
      this.#sql.exec(
        "INSERT INTO sa_rounds (version, phase, deadline_at, bound, scale, noise) VALUES (?, 'keys', ?, ?, ?, ?)",
        version,
        now + policy.phaseMs,
        policy.clipNorm,
        SecureRounds.scale(policy),
        policy.noiseStd,
      );
    } else if (round.phase !== "keys") {
      const mine = this.#sql
        .exec(
          "SELECT 1 FROM sa_keys WHERE version = ? AND device = ? AND c_pk = ? AND s_pk = ?",
          version,
          adv.device,
          adv.cPk,
          adv.sPk,
        )
        .toArray();
      if (mine.length > 0) return; // a resend
      this.#require(version, "keys");
    }
    const joined = this.#count("sa_keys", version);
    const [existing] = this.#sql
      .exec<{ c_pk: string; s_pk: string }>(
        "SELECT c_pk, s_pk FROM sa_keys WHERE version = ? AND device = ?",
        version,
        adv.device,
      )
      .toArray();
    if (existing) {
      if (existing.c_pk === adv.cPk && existing.s_pk === adv.sPk) return;
      throw new FedgeError(
        "secure_round_closed",
        `${adv.device} has already advertised other keys for version ${version}`,
      );
    }
    if (joined >= MAX_ROSTER)
      throw new FedgeError(
        "secure_round_closed",
        `the secure round for version ${version} is full (${MAX_ROSTER})`,
      );
    this.#sql.exec(
      "INSERT INTO sa_keys (version, device, c_pk, s_pk, seq) VALUES (?, ?, ?, ?, ?)",
      version,
      adv.device,
      adv.cPk,
      adv.sPk,
      joined,
    );
    if (joined + 1 >= Math.max(expected, policy.minMembers)) this.#advance(policy, version, now);
  }

  /** Phase 2: a roster member's encrypted shares, one for every other member. */
  shares(
    policy: SecurePolicy,
    version: number,
    device: string,
    shares: readonly EncryptedShare[],
    now: number,
  ): void {
    const round = this.#round(version);
    if (round?.phase !== "shares" && this.#has("sa_shares", version, device, "sender")) return; // a resend
    const r = this.#require(version, "shares");
    const roster = JSON.parse(r.roster!) as Advertisement[];
    if (!roster.some((a) => a.device === device))
      throw new FedgeError("forbidden", `${device} is not in the roster of version ${version}`);
    const peers = new Set(roster.map((a) => a.device).filter((d) => d !== device));
    const to = new Set(shares.map((s) => s.to));
    if (to.size !== shares.length || to.size !== peers.size || [...to].some((d) => !peers.has(d))) {
      throw new FedgeError(
        "bad_request",
        `send exactly one share to each of the ${peers.size} other members of the roster`,
      );
    }
    for (const s of shares) {
      this.#sql.exec(
        "INSERT OR REPLACE INTO sa_shares (version, sender, recipient, ciphertext) VALUES (?, ?, ?, ?)",
        version,
        device,
        s.to,
        s.ciphertext,
      );
    }
    if (this.#distinct("sa_shares", "sender", version) === roster.length) this.#advance(policy, version, now);
  }

  /** Phase 3: a U2 member's masked input (4 bytes per parameter). */
  masked(
    policy: SecurePolicy,
    version: number,
    device: string,
    words: Uint8Array,
    dim: number,
    now: number,
  ): void {
    const round = this.#round(version);
    if (round?.phase !== "masked" && this.#has("sa_masked", version, device)) return; // a resend
    const r = this.#require(version, "masked");
    const shared = JSON.parse(r.shared!) as string[];
    if (!shared.includes(device))
      throw new FedgeError("forbidden", `${device} did not share keys in the round for version ${version}`);
    if (words.byteLength !== 4 * dim) {
      throw new FedgeError(
        "bad_request",
        `a masked input is ${4 * dim} bytes (4 per parameter), got ${words.byteLength}`,
      );
    }
    this.#blobs.put(blobKey(version, device), words);
    this.#sql.exec("INSERT OR IGNORE INTO sa_masked (version, device) VALUES (?, ?)", version, device);
    if (this.#count("sa_masked", version) === shared.length) this.#advance(policy, version, now);
  }

  /** Phase 4: a survivor's revealed shares. Returns true when the round can be unmasked now. */
  unmask(version: number, device: string, shares: readonly UnmaskShare[]): boolean {
    const round = this.#round(version);
    if (round?.phase !== "unmask" && this.#has("sa_unmask", version, device)) return false; // a resend
    const r = this.#require(version, "unmask");
    const survivors = JSON.parse(r.survivors!) as string[];
    const shared = JSON.parse(r.shared!) as string[];
    if (!survivors.includes(device))
      throw new FedgeError(
        "forbidden",
        `${device}'s masked input is not in the round for version ${version}`,
      );
    const of = new Set(shares.map((s) => s.of));
    if (of.size !== shares.length || of.size !== shared.length || shared.some((d) => !of.has(d))) {
      throw new FedgeError(
        "bad_request",
        `reveal exactly one share for each of the ${shared.length} members that shared keys`,
      );
    }
    for (const s of shares) {
      const want = survivors.includes(s.of) ? "self" : "key";
      if (s.kind !== want)
        throw new FedgeError(
          "bad_request",
          `the share of ${s.of} must be of its ${want === "self" ? "seed" : "key"}`,
        );
    }
    this.#sql.exec(
      "INSERT OR IGNORE INTO sa_unmask (version, device, shares) VALUES (?, ?, ?)",
      version,
      device,
      JSON.stringify(shares),
    );
    return this.#count("sa_unmask", version) === survivors.length;
  }

  /** Moves every round whose phase deadline has passed; returns the versions ready to unmask. */
  due(policy: SecurePolicy, now: number): number[] {
    const rounds = this.#sql
      .exec<{ version: number }>(
        "SELECT version FROM sa_rounds WHERE phase IN ('keys', 'shares', 'masked', 'unmask') AND deadline_at <= ?",
        now,
      )
      .toArray();
    const ready: number[] = [];
    for (const { version } of rounds) {
      if (this.#advance(policy, version, now) === "ready") ready.push(version);
    }
    return ready;
  }

  /** The earliest phase deadline of a round in progress, or null. */
  nextDeadline(): number | null {
    return this.#sql
      .exec<{ at: number | null }>(
        "SELECT MIN(deadline_at) AS at FROM sa_rounds WHERE phase IN ('keys', 'shares', 'masked', 'unmask')",
      )
      .one().at;
  }

  /** Σ of the survivors' inputs (mod 2³²) and who they are; throws SecAggError if the shares cannot unmask it. */
  async unmaskedSum(
    version: number,
    dim: number,
    name: string,
  ): Promise<{ sum: Uint32Array; survivors: string[]; bound: number; scale: number; noise: number }> {
    const r = this.#round(version);
    if (r?.phase !== "unmask") throw new SecAggError(`the round for version ${version} is not unmasking`);
    const survivors = JSON.parse(r.survivors!) as string[];
    const masked = new Map<string, Uint32Array>();
    for (const d of survivors) {
      const bytes = this.#blobs.get(blobKey(version, d));
      if (!bytes) throw new SecAggError(`${d}'s masked input is missing`);
      masked.set(d, new Uint32Array(bytes.slice().buffer));
    }
    const responses = new Map(
      this.#sql
        .exec<{ device: string; shares: string }>(
          "SELECT device, shares FROM sa_unmask WHERE version = ?",
          version,
        )
        .toArray()
        .map((row) => [row.device, JSON.parse(row.shares) as UnmaskShare[]] as const),
    );
    const sum = await unmaskSum({
      round: name,
      roster: JSON.parse(r.roster!) as Advertisement[],
      shared: JSON.parse(r.shared!) as string[],
      masked,
      responses,
      threshold: r.threshold!,
      dim,
    });
    return { sum, survivors, bound: r.bound, scale: r.scale, noise: r.noise };
  }

  /** The sum has gone into the log: the round is done, and everything devices sent for it is deleted. */
  complete(version: number): boolean {
    if (this.#round(version)?.phase !== "unmask") return false;
    this.#sql.exec("UPDATE sa_rounds SET phase = 'done' WHERE version = ?", version);
    this.#forget(version);
    return true;
  }

  abandon(version: number, reason: string): void {
    this.#sql.exec("UPDATE sa_rounds SET phase = 'abandoned', reason = ? WHERE version = ?", reason, version);
    this.#forget(version);
  }

  /** Rounds older than `version` are forgotten, whatever became of them. */
  forgetBefore(version: number): void {
    for (const { version: v } of this.#sql
      .exec<{ version: number }>("SELECT version FROM sa_rounds WHERE version < ?", version)
      .toArray()) {
      this.#forget(v);
    }
    this.#sql.exec("DELETE FROM sa_rounds WHERE version < ?", version);
  }

  view(policy: SecurePolicy, version: number, device: string, now: number, name: string): SecureRoundView {
    const r = this.#round(version);
    // Until the round starts, what it will start with.
    const base = {
      version,
      name,
      bound: policy.clipNorm,
      scale: SecureRounds.scale(policy),
      noiseStd: policy.noiseStd,
    };
    if (!r) {
      return {
        ...base,
        phase: "keys",
        deadlineAt: now + policy.phaseMs,
        threshold: null,
        roster: null,
        incoming: null,
        survivors: null,
        member: false,
        reason: null,
      };
    }
    const roster = r.roster ? (JSON.parse(r.roster) as Advertisement[]) : null;
    const shared = r.shared ? (JSON.parse(r.shared) as string[]) : null;
    const survivors = r.survivors ? (JSON.parse(r.survivors) as string[]) : null;
    const member =
      r.phase === "keys"
        ? this.#has("sa_keys", version, device)
        : r.phase === "shares"
          ? (roster?.some((a) => a.device === device) ?? false)
          : r.phase === "masked"
            ? (shared?.includes(device) ?? false)
            : (survivors?.includes(device) ?? false);
    const incoming =
      r.phase === "masked" && member
        ? this.#sql
            .exec<{ sender: string; ciphertext: string }>(
              "SELECT sender, ciphertext FROM sa_shares WHERE version = ? AND recipient = ?",
              version,
              device,
            )
            .toArray()
            .map((s) => ({ from: s.sender, to: device, ciphertext: s.ciphertext }))
        : null;
    return {
      ...base,
      bound: r.bound,
      scale: r.scale,
      noiseStd: r.noise,
      phase: r.phase,
      deadlineAt: r.deadline_at,
      threshold: r.threshold,
      roster,
      incoming,
      survivors: r.phase === "unmask" ? survivors : null,
      member,
      reason: r.reason,
    };
  }

  /** Ends the current phase: with enough members the next one starts, else the round is abandoned. */
  #advance(policy: SecurePolicy, version: number, now: number): "moved" | "ready" | "abandoned" {
    const r = this.#round(version)!;
    const deadline = now + policy.phaseMs;
    if (r.phase === "keys") {
      const roster = this.#sql
        .exec<{ device: string; c_pk: string; s_pk: string }>(
          "SELECT device, c_pk, s_pk FROM sa_keys WHERE version = ? ORDER BY seq",
          version,
        )
        .toArray()
        .map((k) => ({ device: k.device, cPk: k.c_pk, sPk: k.s_pk }));
      if (roster.length < policy.minMembers) {
        this.abandon(version, `${roster.length} members advertised keys; a round needs ${policy.minMembers}`);
        return "abandoned";
      }
      const t = Math.max(Math.floor(roster.length / 2) + 1, Math.ceil(policy.threshold * roster.length));
      this.#sql.exec(
        "UPDATE sa_rounds SET phase = 'shares', deadline_at = ?, threshold = ?, roster = ? WHERE version = ?",
        deadline,
        t,
        JSON.stringify(roster),
        version,
      );
      return "moved";
    }
    const t = r.threshold!;
    if (r.phase === "shares") {
      const roster = JSON.parse(r.roster!) as Advertisement[];
      const senders = new Set(this.#column("sa_shares", "sender", version));
      const shared = roster.map((a) => a.device).filter((d) => senders.has(d));
      if (shared.length < t)
        return this.#fail(version, `${shared.length} members shared keys; the round needs ${t}`);
      // Shares from a member are kept only if it is in U2 (every sender is, by definition).
      this.#sql.exec(
        "UPDATE sa_rounds SET phase = 'masked', deadline_at = ?, shared = ? WHERE version = ?",
        deadline,
        JSON.stringify(shared),
        version,
      );
      return "moved";
    }
    if (r.phase === "masked") {
      const shared = JSON.parse(r.shared!) as string[];
      const sent = new Set(this.#column("sa_masked", "device", version));
      const survivors = shared.filter((d) => sent.has(d));
      if (survivors.length < t)
        return this.#fail(version, `${survivors.length} members sent masked inputs; the round needs ${t}`);
      this.#sql.exec(
        "UPDATE sa_rounds SET phase = 'unmask', deadline_at = ?, survivors = ? WHERE version = ?",
        deadline,
        JSON.stringify(survivors),
        version,
      );
      return "moved";
    }
    if (r.phase === "unmask") {
      const answered = this.#count("sa_unmask", version);
      if (answered < t)
        return this.#fail(version, `${answered} survivors revealed their shares; unmasking needs ${t}`);
      // Push the deadline on while the sum is being unmasked, so that the alarm does not retry at once.
      this.#sql.exec("UPDATE sa_rounds SET deadline_at = ? WHERE version = ?", deadline, version);
      return "ready";
    }
    return "moved";
  }

  #fail(version: number, reason: string): "abandoned" {
    this.abandon(version, reason);
    return "abandoned";
  }

  #forget(version: number): void {
    for (const { device } of this.#sql
      .exec<{ device: string }>("SELECT device FROM sa_masked WHERE version = ?", version)
      .toArray()) {
      this.#blobs.delete(blobKey(version, device));
    }
    for (const table of ["sa_keys", "sa_shares", "sa_masked", "sa_unmask"]) {
      this.#sql.exec(`DELETE FROM ${table} WHERE version = ?`, version);
    }
  }

  #count(table: string, version: number): number {
    return this.#sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE version = ?`, version)
      .one().n;
  }

  #distinct(table: string, column: string, version: number): number {
    return this.#sql
      .exec<{ n: number }>(`SELECT COUNT(DISTINCT ${column}) AS n FROM ${table} WHERE version = ?`, version)
      .one().n;
  }

  #column(table: string, column: string, version: number): string[] {
    return this.#sql
      .exec<Record<string, string>>(`SELECT DISTINCT ${column} AS v FROM ${table} WHERE version = ?`, version)
      .toArray()
      .map((r) => r.v!);
  }

  #has(table: string, version: number, device: string, column = "device"): boolean {
    return (
      this.#sql
        .exec(`SELECT 1 FROM ${table} WHERE version = ? AND ${column} = ? LIMIT 1`, version, device)
        .toArray().length > 0
    );
  }
}

/** The name a round's keys, shares and masks are bound to: its cluster's and its version. */
export const roundName = (cluster: string, version: number) => `${cluster}/v${version}`;
