/**
 * Child processes for the benchmark: the service, the trivial-handler server
 * and the transport servers each run in a process of their own, so their CPU
 * is theirs and the load generator's is its own. Works from the TypeScript
 * sources (through tsx) and from the built `dist/` alike.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const fromSources = here.endsWith(".ts");
/** The repository root (sources) or `dist/` (built). */
const base = resolve(dirname(here), "../..");

/**
 * The node arguments that run the module at `path` (repository-relative,
 * without extension: "src/cli/main"): through tsx from the sources, or the
 * built `.js` beside this file's own build.
 */
export function nodeEntry(path: string): string[] {
  if (!fromSources) return [join(base, `${path}.js`)];
  // An absolute loader URL, so the child finds tsx whatever its working directory.
  return ["--import", import.meta.resolve("tsx"), join(base, `${path}.ts`)];
}

/** A running child whose stdout and stderr go to a log file (the parent reads nothing while it runs). */
export interface Child {
  proc: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the first log line `pick` returns a value for; rejects if the child exits first or after `timeoutMs`. */
  waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
  /** SIGTERM, then waits for the exit (a `--cpu-prof` child writes its profile on the way out). */
  stop(timeoutMs?: number): Promise<void>;
  /** The last lines of its log, for an error message. */
  tail(lines?: number): string;
}

/** Options for {@link startChild}. */
export interface ChildOptions {
  /** Node flags placed before the entry (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  cwd?: string;
}

/** Starts `node [flags] <entry> [args]` with its output in `logFile`. */
export function startChild(entry: string, args: string[], opts: ChildOptions): Child {
  const fd = openSync(opts.logFile, "a");
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...nodeEntry(entry), ...args], {
    stdio: ["ignore", fd, fd],
    env: opts.env,
    cwd: opts.cwd ?? process.cwd(),
  });
  closeSync(fd);
  let exited: number | null | undefined;
  const exit = new Promise<void>((done) =>
    proc.once("exit", (code, signal) => {
      exited = code ?? (signal === null ? -1 : 128);
      done();
    }),
  );
  const read = (): string => {
    try {
      return readFileSync(opts.logFile, "utf8");
    } catch {
      return "";
    }
  };
  const tail = (lines = 15): string => read().trimEnd().split("\n").slice(-lines).join("\n");
  return {
    proc,
    pid: proc.pid ?? -1,
    logFile: opts.logFile,
    tail,
    waitFor(pick, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolveWait, reject) => {
        const poll = (): void => {
          for (const line of read().split("\n")) {
            const found = pick(line);
            if (found !== undefined) return resolveWait(found);
          }
          if (exited !== undefined) return reject(new Error(`${entry} exited (${exited}) before it was ready:\n${tail()}`));
          if (Date.now() > deadline) return reject(new Error(`${entry} was not ready after ${timeoutMs} ms:\n${tail()}`));
          setTimeout(poll, 50);
        };
        poll();
      });
    },
    async stop(timeoutMs = 15_000) {
      if (exited !== undefined) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Parses a JSON log line, or undefined for anything else. */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
