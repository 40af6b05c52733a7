/**
 * What a workerd process costs, read from Linux's /proc: CPU time from
 * /proc/<pid>/stat (utime + stime, every thread of the process, in clock ticks) and
 * bytes sent to the block layer from /proc/<pid>/io (write_bytes: pages the process
 * dirtied in files — SQLite's WAL frames, checkpoints, R2 blobs — not socket traffic).
 * Miniflare starts workerd as a child of this process; a restart adds a new pid, whose
 * readings are added to the retired one's last.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number | "self"): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** The workerd processes this process has started (direct children named workerd). */
export function childWorkerdPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      // Field 4 of stat is the parent pid: index 1 after the name and the state.
      if (name === "workerd" && Number(statFields(Number(entry))[1]) === process.pid)
        pids.push(Number(entry));
    } catch {
      // The process exited between the listing and the read.
    }
  }
  return pids;
}

export interface Usage {
  cpuMs: number;
  writeBytes: number;
}

function readUsage(pid: number): Usage {
  const f = statFields(pid);
  // utime and stime are fields 14 and 15 of stat: indices 11 and 12 after the name.
  const ticks = Number(f[11]) + Number(f[12]);
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  const writeBytes = Number(/^write_bytes: (\d+)$/m.exec(io)?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, writeBytes };
}

/** Cumulative usage of one service's workerd processes, across restarts. */
export class ProcessMeter {
  readonly #live = new Map<number, Usage>();
  #retired: Usage = { cpuMs: 0, writeBytes: 0 };

  attach(pid: number): void {
    this.#live.set(pid, readUsage(pid));
  }

  /** Takes a last reading of a process about to stop; its usage stays in the totals. */
  retire(pid: number): void {
    const last = this.#read(pid);
    this.#live.delete(pid);
    this.#retired = add(this.#retired, last);
  }

  get pids(): number[] {
    return [...this.#live.keys()];
  }

  read(): Usage {
    let total = this.#retired;
    for (const pid of this.#live.keys()) total = add(total, this.#read(pid));
    return total;
  }

  #read(pid: number): Usage {
    try {
      const usage = readUsage(pid);
      this.#live.set(pid, usage);
      return usage;
    } catch {
      // Gone (killed): its last reading stands.
      return this.#live.get(pid) ?? { cpuMs: 0, writeBytes: 0 };
    }
  }
}

function add(a: Usage, b: Usage): Usage {
  return { cpuMs: a.cpuMs + b.cpuMs, writeBytes: a.writeBytes + b.writeBytes };
}

export function subtract(a: Usage, b: Usage): Usage {
  return { cpuMs: a.cpuMs - b.cpuMs, writeBytes: a.writeBytes - b.writeBytes };
}

/** CPU time every process on the machine has used (busy jiffies of /proc/stat's first line), in ms. */
export function machineBusyMs(): number {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const n = fields.map(Number);
  const busy = n[0]! + n[1]! + n[2]! + n[5]! + n[6]! + n[7]!;
  return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** This process's own CPU time (the load generator), in ms. */
export function selfCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
