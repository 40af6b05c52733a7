import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ClusterMembers } from "./cluster-members";

/** Runs `fn` against the real SQLite storage of a fresh Durable Object. */
function withMembers<T>(name: string, fn: (members: ClusterMembers, sql: SqlStorage) => T): Promise<T> {
  return runInDurableObject(env.DIRECTORY.getByName(name), (_instance, state) =>
    fn(new ClusterMembers(state.storage.sql), state.storage.sql),
  );
}

describe("a moved member", () => {
  it("is seen as moved by the same instance that first read no moves, and not once adopted back", () =>
    withMembers("members-moves-cache", (m) => {
      expect(m.movedTo("d")).toBeNull(); // read: no moves
      m.moveAway([{ device: "d", cluster: 3 }]);
      expect(m.movedTo("d")).toBe(3);
      m.seen("d", 1, null, null);
      m.adopt("d", { assignments: [], reputation: null, quarantinedUntil: null });
      expect(m.movedTo("d")).toBeNull();
      m.moveAway([{ device: "e", cluster: 4 }]);
      expect(m.movedTo("e")).toBe(4);
    }));

  it("is handed over once: its unused assignments and trust state go, the used one stays, and it stops being a member", () =>
    withMembers("members-handover", (m) => {
      m.seen("d", 1, null, null);
      m.assign("d", 3, 100);
      m.assign("d", 4, 200);
      m.contribute("d", 3, "d:u3", 150);
      m.quarantine("d", 9_000);
      m.moveAway([{ device: "d", cluster: 7 }]);
      expect(m.movedTo("d")).toBe(7);
      expect(m.handOver("d")).toEqual({
        assignments: [{ version: 4, assignedAt: 200 }],
        reputation: null,
        quarantinedUntil: 9_000,
      });
      expect(m.handedOver("d", 4)).toBe(true);
      expect(m.handedOver("d", 3)).toBe(false);
      expect(m.count()).toBe(0);
      // A second hand-over gives nothing twice.
      expect(m.handOver("d").assignments).toEqual([]);
    }));

  it("is adopted idempotently, keeping a quarantine, and no longer counts as moved away from its new cluster", () =>
    withMembers("members-adopt", (m) => {
      m.moveAway([{ device: "d", cluster: 2 }]); // it had been moved away from here once
      m.seen("d", 1, null, null);
      const handover = {
        assignments: [{ version: 4, assignedAt: 200 }],
        reputation: null,
        quarantinedUntil: 9_000,
      };
      m.adopt("d", handover);
      m.adopt("d", handover);
      expect(m.movedTo("d")).toBeNull();
      expect(m.assignment("d", 4)).toEqual({ assigned_at: 200, update_key: null, received_at: null });
      expect(m.quarantinedUntil("d")).toBe(9_000);
    }));

  it("is forgotten as a move once handed over and no assignment of it is left to redirect", () =>
    withMembers("members-forget", (m) => {
      m.seen("d", 1, null, null);
      m.assign("d", 4, 200);
      m.moveAway([{ device: "d", cluster: 7 }]);
      m.forgetSettledMoves();
      expect(m.movedTo("d")).toBe(7); // not handed over yet
      m.handOver("d");
      m.forgetSettledMoves();
      expect(m.movedTo("d")).toBe(7); // its handed-over assignment may still see an old-token upload
      m.expireAssignmentsBefore(5);
      m.forgetSettledMoves();
      expect(m.movedTo("d")).toBeNull();
    }));
});

describe("stale assignments", () => {
  it("are forgotten, but for one contributed to (it holds the update's receipt), and each member's that never got an update is counted (not one contributed to or handed over)", () =>
    withMembers("members-expire", (m) => {
      for (const d of ["a", "b", "c"]) m.seen(d, 1, null, null);
      m.assign("a", 1, 10);
      m.assign("a", 2, 20);
      m.assign("a", 5, 50); // not stale yet
      m.assign("b", 1, 10);
      m.contribute("b", 1, "b:u1", 10);
      m.assign("c", 2, 20);
      m.moveAway([{ device: "c", cluster: 3 }]);
      m.handOver("c");
      m.assign("gone", 1, 10); // not a member (it left): nothing to count it against

      expect(m.expireAssignmentsBefore(5)).toEqual(new Map([["a", 2]]));

      expect(m.assignment("a", 1)).toBeUndefined();
      expect(m.assignment("b", 1)).toEqual({ assigned_at: 10, update_key: "b:u1", received_at: 10 });
      expect(m.assignment("c", 2)).toBeUndefined(); // handed over
      expect(m.assignment("a", 5)).toEqual({ assigned_at: 50, update_key: null, received_at: null });
      expect(m.expireAssignmentsBefore(5)).toEqual(new Map());
    }));
});

describe("a check-in", () => {
  it("makes its member active at the version it may train on, never backwards, and leaves activity alone without one", () =>
    withMembers("members-seen-active", (m) => {
      const activeAt = (version: number) => m.progress(version, 0).active;
      m.seen("d", 1, null, null); // may not train (e.g. low battery): a member, not active
      expect(m.count()).toBe(1);
      expect(activeAt(0)).toBe(0);
      m.seen("d", 2, null, null, 5);
      expect(activeAt(5)).toBe(1);
      m.seen("d", 3, null, null, 4); // an older version (a late answer): activity does not move back
      expect(activeAt(5)).toBe(1);
      m.seen("d", 4, null, null); // without one: still active at 5
      expect(activeAt(5)).toBe(1);
      m.seen("d", 5, null, null, 6);
      expect([activeAt(6), activeAt(7)]).toEqual([1, 0]);
      m.seen("e", 6, null, null, 6); // a new member that may train is active at once
      expect(activeAt(6)).toBe(2);
    }));
});

describe("a receipt", () => {
  it("is kept with its assignment past the version's staleness, until forgotten by its own retention", () =>
    withMembers("members-receipts", (m) => {
      m.seen("d", 1, null, null, 3);
      m.assign("d", 3, 100);
      m.assign("d", 4, 110);
      m.contribute("d", 3, "d:u3", 150);
      expect(m.assignment("d", 3)).toEqual({ assigned_at: 100, update_key: "d:u3", received_at: 150 });
      expect(m.hasReceipts()).toBe(true);
      // Versions 3 and 4 go stale: the unused assignment goes (a timeout), the receipt stays.
      expect(m.expireAssignmentsBefore(10)).toEqual(new Map([["d", 1]]));
      expect(m.assignment("d", 4)).toBeUndefined();
      expect(m.assignment("d", 3)?.received_at).toBe(150);
      m.forgetReceiptsBefore(150, 10); // not yet: accepted at 150
      expect(m.hasReceipts()).toBe(true);
      m.forgetReceiptsBefore(151, 10);
      expect(m.assignment("d", 3)).toBeUndefined();
      expect(m.hasReceipts()).toBe(false);
    }));

  it("past its retention, goes, but its assignment stays while the version is not stale: it is also the device's vote", () =>
    withMembers("members-receipts-vote", (m) => {
      m.seen("d", 1, null, null, 3);
      m.assign("d", 3, 100);
      m.contribute("d", 3, "d:u3", 150);
      m.forgetReceiptsBefore(10_000, 3); // version 3 is not stale yet: the receipt goes, the vote stays
      expect(m.assignment("d", 3)).toEqual({ assigned_at: 100, update_key: "d:u3", received_at: null });
      expect(m.hasReceipts()).toBe(false);
      expect(m.expireAssignmentsBefore(3)).toEqual(new Map());
      expect(m.assignment("d", 3)?.update_key).toBe("d:u3");
      expect(m.expireAssignmentsBefore(4)).toEqual(new Map()); // stale now: gone, and not a timeout
      expect(m.assignment("d", 3)).toBeUndefined();
    }));

  it("kept in a receipts table by an older version moves into its assignment; the table goes", () =>
    withMembers("members-receipts-fold", (members, sql) => {
      // Prepare: a receipt for an assignment still here, and one whose assignment is gone.
      members.assign("d", 3, 100);
      members.contribute("d", 3, "d:u3", null);
      sql.exec("CREATE TABLE receipts (key TEXT PRIMARY KEY, received_at INTEGER NOT NULL) WITHOUT ROWID");
      sql.exec("INSERT INTO receipts (key, received_at) VALUES ('d:u3', 150), ('d:u1', 90)");

      // Execute: the schema set-up, as the cluster wakes with this version.
      const woken = new ClusterMembers(sql);

      // Assert
      expect(woken.assignment("d", 3)).toEqual({ assigned_at: 100, update_key: "d:u3", received_at: 150 });
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'receipts'").toArray()).toEqual([]);
    }));
});
