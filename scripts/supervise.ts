/**
 * Stopping a server process tree the way supervisors expect, for `npm start` and
 * `npm run serve:workerd`: SIGINT, SIGTERM or SIGHUP stop it, and so does the death of this
 * process's parent, because npm runs scripts through `sh -c`, which dies of npm's forwarded
 * SIGTERM without passing it on. The child runs in its own process group (`spawnOptions`), so
 * the signal reaches its own children (wrangler's workerd) whatever the child does with it.
 */
import type { ChildProcess, SpawnOptions } from "node:child_process";

/** How long the tree gets to stop on SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

const ownGroup = process.platform !== "win32";

/** Spawn options that give the child its own process group where the platform has them. */
export const spawnOptions: SpawnOptions = { detached: ownGroup };

export interface Supervision {
  readonly stopping: boolean;
  /** Stops the tree and exits with `exitCode`. */
  stop(reason: string, exitCode: number): Promise<never>;
}

export function supervise(child: ChildProcess, name: string): Supervision {
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const signal = (sig: NodeJS.Signals) => {
    try {
      if (ownGroup && child.pid !== undefined) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  const groupAlive = () => {
    if (!ownGroup || child.pid === undefined) return child.exitCode === null && child.signalCode === null;
    try {
      process.kill(-child.pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  async function stop(reason: string, exitCode: number): Promise<never> {
    if (stopping) return new Promise<never>(() => {});
    stopping = true;
    console.log(`\nstopping ${name} (${reason})`);
    signal("SIGTERM");
    const kill = setTimeout(() => signal("SIGKILL"), STOP_GRACE_MS);
    await exited;
    // The child has exited; its own children, in the same group, may still be closing sockets.
    for (let waited = 0; groupAlive() && waited < STOP_GRACE_MS; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    signal("SIGKILL");
    clearTimeout(kill);
    console.log(`${name} stopped`);
    process.exit(exitCode);
  }

  /** For event handlers, which cannot await: a failure to stop is reported, never left unhandled. */
  const requestStop = (reason: string, exitCode: number) => {
    stop(reason, exitCode).catch((error: unknown) => {
      console.error(`stopping ${name} failed:`, error);
      process.exit(1);
    });
  };

  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => requestStop(sig, 0));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) requestStop("its parent process exited", 0);
  }, 250).unref();
  child.once("exit", (code, sig) => {
    if (!stopping) requestStop(`it exited with ${sig ?? `code ${code}`}`, code ? code : 1);
  });

  return {
    get stopping() {
      return stopping;
    },
    stop,
  };
}
