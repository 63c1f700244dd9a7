import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** The newest Postgres server binaries Debian installed (postgresql-NN). */
function serverBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const version = versions[0];
  if (version === undefined) throw new Error("no Postgres server binaries under /usr/lib/postgresql (Debian package postgresql)");
  return join(root, version, "bin");
}

/** A Postgres cluster of the test's own, to stop, kill and lock at will. */
export interface OwnPostgres {
  /** A connection URL for `database`, over the cluster's Unix socket. */
  url(database?: string): string;
  /** `pg_ctl stop` in the given mode: fast (terminate sessions, checkpoint) or immediate (no checkpoint, crash recovery on start). */
  stop(mode: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** Runs one statement as the superuser, on a connection of its own. */
  sql(statement: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** Stops the cluster for good and deletes its files. */
  destroy(): Promise<void>;
}

/**
 * initdb in a fresh temporary folder and start it, listening only on a Unix
 * socket in that folder: no TCP port to pick, so nothing to collide with.
 * The server runs as the `postgres` user (it refuses to run as root), via
 * runuser; fsync is off, which still keeps every commit across a crash of
 * Postgres itself (the kernel holds the WAL), only not across one of the host.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = serverBin();
  const dir = mkdtempSync(join(tmpdir(), "tf-pg-"));
  const { stdout } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  const data = join(dir, "data");
  const asPostgres = (cmd: string, args: string[]) => run("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { timeout: 60_000 });
  await asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8", "--locale=C"]);
  const options = `-c listen_addresses='' -c unix_socket_directories='${dir}' -c fsync=off -c max_connections=60`;
  const start = async (): Promise<void> => {
    await asPostgres("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
  };
  await start();
  const url = (database = "postgres"): string => `postgres://postgres@localhost/${database}?host=${encodeURIComponent(dir)}`;
  return {
    url,
    start,
    async stop(mode) {
      await asPostgres("pg_ctl", ["-D", data, "-w", "-t", "60", "-m", mode, "stop"]);
    },
    async sql(statement, params, database) {
      const client = new pg.Client({ connectionString: url(database) });
      client.on("error", () => undefined);
      await client.connect();
      try {
        return await client.query(statement, params);
      } finally {
        await client.end();
      }
    },
    async destroy() {
      await asPostgres("pg_ctl", ["-D", data, "-w", "-m", "immediate", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
