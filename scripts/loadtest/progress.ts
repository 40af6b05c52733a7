/** A one-line progress bar on stderr, when it is a terminal (stdout stays clean for --json). */
export function bar(fraction: number, text: string): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  process.stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${text}\x1b[K`);
  if (fraction >= 1) process.stderr.write("\n");
}

/** A bar counting to `total`, redrawn every 1 %. */
export function countBar(total: number, label: string): (done: number) => void {
  const step = Math.max(1, Math.floor(total / 100));
  return (done) => {
    if (done % step === 0 || done === total) bar(done / total, `${done}/${total} ${label}`);
  };
}

/** A phase's bar: seconds elapsed of its length; drawn complete once. */
export function phaseBar(label: string, ms: number): (elapsedMs: number) => void {
  let complete = false;
  return (elapsed) => {
    if (complete) return;
    const shown = Math.min(elapsed, ms);
    complete = shown >= ms;
    bar(shown / ms, `${(shown / 1000).toFixed(1)}/${(ms / 1000).toFixed(1)} s  ${label}`);
  };
}
