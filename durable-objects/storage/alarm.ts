/**
 * A Durable Object has one alarm; each object wants it at the earliest of several
 * deadlines (a retry, a batch's wait, a round's deadline). Sets it there, or clears it.
 */
export async function setEarliestAlarm(
  storage: DurableObjectStorage,
  times: readonly number[],
): Promise<void> {
  if (times.length === 0) {
    await storage.deleteAlarm();
    return;
  }
  // A time already past fires at once; workerd refuses times ≤ 0, which a past time never is.
  const at = Math.max(1, Math.min(...times));
  if ((await storage.getAlarm()) !== at) await storage.setAlarm(at);
}
