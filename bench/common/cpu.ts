/**
 * CPU time of processes and of the machine, from /proc (Linux), so a load
 * run can say what one login costs the server, the database and the load
 * generator, and whether the box was saturated. Elsewhere the readings are
 * absent and the reports say so.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ, almost always 100). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds a process has used so far, or undefined when it cannot be read. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) / clockTicks();
  } catch {
    return undefined;
  }
}

/** What the scheduler says of one thread: time on a core, and time runnable but waiting for one. */
export interface ThreadSched {
  runningSeconds: number;
  waitingSeconds: number;
}

/** The first two fields of a schedstat file (nanoseconds on a core, nanoseconds waiting on a run queue). */
export function parseSchedstat(text: string): ThreadSched | undefined {
  const [running, waiting] = text.trim().split(/\s+/).map(Number);
  if (running === undefined || waiting === undefined || !Number.isFinite(running) || !Number.isFinite(waiting)) return undefined;
  return { runningSeconds: running / 1e9, waitingSeconds: waiting / 1e9 };
}

/**
 * The scheduler's times of a process's main thread (for Node, the event
 * loop), or undefined when they cannot be read (not Linux, no schedstats).
 */
export function mainThreadSched(pid: number): ThreadSched | undefined {
  try {
    return parseSchedstat(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Shares of a window of `wallSeconds` a thread spent on a core and waiting
 * for one; what is left it slept (waiting for I/O or a timer).
 */
export function schedShares(before: ThreadSched | undefined, after: ThreadSched | undefined, wallSeconds: number): { running: number; waiting: number } | undefined {
  if (before === undefined || after === undefined || !(wallSeconds > 0)) return undefined;
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  return {
    running: clamp((after.runningSeconds - before.runningSeconds) / wallSeconds),
    waiting: clamp((after.waitingSeconds - before.waitingSeconds) / wallSeconds),
  };
}

/** This process's own CPU seconds (user + system). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Machine-wide CPU counters (all cores): busy and total seconds. */
export interface MachineCpu {
  busy: number;
  total: number;
  cores: number;
}

/** The machine's CPU counters now, or undefined off Linux. */
export function machineCpu(): MachineCpu | undefined {
  try {
    const lines = readFileSync("/proc/stat", "utf8").split("\n");
    const all = (lines[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = all;
    const busy = user + nice + system + irq + softirq + steal;
    const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length;
    return { busy: busy / clockTicks(), total: (busy + idle + iowait) / clockTicks(), cores };
  } catch {
    return undefined;
  }
}

/** CPU seconds of each of `pids` now (unreadable pids are left out). */
export function cpuSnapshot(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const s = processCpuSeconds(pid);
    if (s !== undefined) out.set(pid, s);
  }
  return out;
}

/**
 * CPU seconds used between two snapshots, summed over the pids present in
 * both; undefined when none is. With `newFromZero`, a pid only in `after`
 * counts its whole CPU (a process that started in between, such as a backend
 * a pool opened); one gone by `after` is not counted either way.
 */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>, opts: { newFromZero?: boolean } = {}): number | undefined {
  let sum = 0;
  let any = false;
  for (const [pid, end] of after) {
    const start = before.get(pid) ?? (opts.newFromZero === true ? 0 : undefined);
    if (start === undefined) continue;
    sum += end - start;
    any = true;
  }
  return any ? sum : undefined;
}
