/**
 * A private Postgres cluster whose processes run under valgrind's callgrind,
 * for counting the instructions a backend spends on statements. Instruction
 * counts, unlike seconds, are the same on every run of the same binary on
 * the same data, whatever else the machine is doing, so two statement shapes
 * compare to the instruction.
 *
 * The cluster lives in a temporary folder, listens only on a Unix socket
 * there, and is removed by `stop`. Postgres refuses to run as root, so as
 * root the cluster runs as the `postgres` user.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** The running cluster. */
export interface CallgrindPostgres {
  /** A connection string for the cluster's `postgres` database over its socket. */
  url: string;
  /**
   * The instructions backend `pid` spent in its whole life, once it has
   * exited (callgrind writes a process's counts when it ends).
   */
  backendInstructions(pid: number): Promise<number>;
  /** Stops the cluster and removes its folder. */
  stop(): Promise<void>;
}

/** Where the Postgres server programs are: `pgBin`, or what `pg_config --bindir` says. */
export function postgresBinDir(pgBin: string | undefined): string {
  const dir = pgBin ?? execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
  for (const program of ["initdb", "postgres"]) {
    if (!existsSync(join(dir, program))) throw new Error(`${program} is not in ${dir} (set --pg-bin to the server's bin folder)`);
  }
  return dir;
}

/** The user the cluster runs as: this process's, or `postgres` when this process is root. */
function clusterUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error("running as root needs a postgres user to run the cluster as (Postgres refuses to run as root)");
  }
}

/** Starts the cluster (initdb, then the postmaster under callgrind) and waits until it answers. */
export async function startCallgrindPostgres(pgBin: string): Promise<CallgrindPostgres> {
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), "twofold-statements-"));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const as = user ?? {};
  execFileSync(join(pgBin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"], {
    ...as,
    stdio: "ignore",
  });
  const logFile = join(dir, "postgres.log");
  const fd = openSync(logFile, "a");
  if (user !== undefined) chownSync(logFile, user.uid, user.gid);
  const proc: ChildProcess = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      `--callgrind-out-file=${join(dir, "callgrind.%p")}`,
      join(pgBin, "postgres"),
      "-D", data,
      "-k", dir,
      // Only the socket; no background work that would land between two dumps; no JIT.
      "-c", "listen_addresses=",
      "-c", "autovacuum=off",
      "-c", "fsync=off",
      "-c", "jit=off",
      "-c", "max_connections=8",
    ],
    { ...as, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<void>((done) => proc.once("exit", () => done()));
  const url = `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGINT");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilAnswering(url, proc, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async backendInstructions(pid: number): Promise<number> {
      const file = join(dir, `callgrind.${pid}`);
      const deadline = Date.now() + 60_000;
      for (;;) {
        // callgrind writes the totals line last.
        const text = existsSync(file) ? readFileSync(file, "utf8") : "";
        if (/^totals:/m.test(text)) return dumpInstructions(text);
        if (Date.now() > deadline) throw new Error(`callgrind wrote no counts for backend ${pid}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop,
  };
}

/** Waits (up to 3 minutes: valgrind makes start-up slow) for the cluster to accept a connection. */
async function untilAnswering(url: string, proc: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`postgres under callgrind exited: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres under callgrind did not answer: ${readFileSync(logFile, "utf8").slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The instruction count (`Ir`) of a callgrind output file. */
function dumpInstructions(text: string): number {
  const m = /^(?:totals|summary): (\d+)/m.exec(text);
  if (m?.[1] === undefined) throw new Error("a callgrind dump without totals");
  return Number(m[1]);
}
