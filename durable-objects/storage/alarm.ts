/**
 * A Durable Object has one alarm; each object wants it at the earliest of several
 * deadlines (a retry, a batch's wait, a round's deadline). Sets it there, or clears it.
 *
 * `times` is read after the current alarm is known and with no await before the write,
 * so concurrent callers issue their writes in the order they looked at the object's
 * state, and storage applies them in that order: the last write always reflects the
 * newest state, never an older caller's.
 */
export async function setEarliestAlarm(
  storage: DurableObjectStorage,
  times: () => readonly number[],
): Promise<void> {
  const current = await storage.getAlarm();
  const due = times();
  if (due.length === 0) {
    if (current !== null) await storage.deleteAlarm();
    return;
  }
  // A time already past fires at once; workerd refuses times ≤ 0, which a past time never is.
  const at = Math.max(1, Math.min(...due));
  if (current !== at) await storage.setAlarm(at);
}
