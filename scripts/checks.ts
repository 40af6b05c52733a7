/**
 * The tally of the check runners outside vitest (`test:browser`, `test:examples`,
 * `test:regions`): one line per check, then `N passed, N failed` — the closing line
 * .ci/run sums — and exit code 1 on any failure. `run` also bounds the whole run with a
 * deadline and always stops what the runner started.
 */
let passed = 0;
let failed = 0;

/** Records a check and prints it; returns whether it passed. */
export function check(name: string, ok: boolean, detail = ""): boolean {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "✓" : "✗"} ${name}${!ok && detail ? `\n    ${detail}` : ""}`);
  return ok;
}

/**
 * Runs `body`, counting an exception as a failed check, then `stop` (which must catch
 * its own errors), and exits with the tally. Past `deadlineMs` it stops and exits at once
 * (giving `stop` at most 10 s).
 */
export async function run(
  label: string,
  deadlineMs: number,
  body: () => Promise<void>,
  stop: () => Promise<void> = async () => {},
): Promise<never> {
  const finish = () => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed > 0 ? 1 : 0);
  };
  const deadline = setTimeout(() => {
    console.error(`${label}: still running after ${deadlineMs / 1000} s; stopping`);
    failed++;
    Promise.race([stop(), new Promise((r) => setTimeout(r, 10_000))]).then(finish, finish);
  }, deadlineMs);
  try {
    await body();
  } catch (error) {
    check(
      "the run completes",
      false,
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    );
  } finally {
    await stop();
    clearTimeout(deadline);
  }
  return finish() as never;
}
