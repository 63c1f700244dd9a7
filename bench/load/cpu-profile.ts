/**
 * Reads the V8 CPU profile a `--cpu-prof` service child writes on exit and
 * lists the functions with the most self time inside the measuring window
 * (V8 stamps samples with the monotonic clock, the one process.hrtime reads,
 * so the window taken in this process selects the samples of that process).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of the window's CPU samples. */
export interface HotFunction {
  name: string;
  /** `path:line`, relative to the working directory or as `pkg/…` inside node_modules. */
  where: string;
  selfMs: number;
  /** Self time over all non-idle time in the window. */
  share: number;
}

/** The profile's busiest functions, and how busy the process was at all. */
export interface ProfileSummary {
  file: string;
  /** Sampled time in the window, ms. */
  windowMs: number;
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  top: HotFunction[];
}

/**
 * The main thread's profile of process `pid` in `dir` (node names them
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; worker threads have
 * thread ids above 0), or undefined.
 */
export function mainThreadProfile(dir: string, pid: number): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile") && f.includes(`.${pid}.0.`))
    .sort();
  const last = files.at(-1);
  return last === undefined ? undefined : join(dir, last);
}

function shortPath(url: string): string {
  if (url === "") return "";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) return path.slice(nm + "/node_modules/".length);
  return path.startsWith("/") ? relative(process.cwd(), path) : path;
}

/**
 * Self time per function over the samples between `fromUs` and `toUs`
 * (monotonic microseconds; undefined: the whole profile).
 */
export function summariseProfile(file: string, topN: number, fromUs?: number, toUs?: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  let t = profile.startTime;
  let windowUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if ((fromUs !== undefined && t < fromUs) || (toUs !== undefined && t > toUs)) continue;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined) continue;
    windowUs += dt;
    const name = node.callFrame.functionName || "(anonymous)";
    if (name === "(idle)") {
      idleUs += dt;
      continue;
    }
    const where = node.callFrame.url === "" ? "" : `${shortPath(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const key = `${name}\u0000${where}`;
    const entry = self.get(key);
    if (entry === undefined) self.set(key, { name, where, us: dt });
    else entry.us += dt;
  }
  const busyUs = windowUs - idleUs;
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: busyUs > 0 ? e.us / busyUs : 0 }));
  return { file, windowMs: windowUs / 1000, busyMs: busyUs / 1000, top };
}

/** Now on the monotonic clock V8 stamps profiles with, microseconds. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
