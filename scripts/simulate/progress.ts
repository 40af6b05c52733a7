/** A one-line progress bar on stderr (so --json's stdout stays clean). */
export function progress(done: number, total: number, label: string): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((Math.min(done, total) / total) * width);
  process.stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${label}   `);
  if (done >= total) process.stderr.write("\n");
}
