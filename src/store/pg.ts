import { performance } from "node:perf_hooks";
import pg from "pg";
import { metrics } from "../metrics/index.js";
import type { Db, Queryable, QueryOptions, QueryResult } from "./db.js";
import { pgListen } from "./pg-listen.js";

/** Options for the Postgres-server backend. */
export interface PgDbOptions {
  url: string;
  poolSize: number;
  /** Server-side statement_timeout per connection, so a stuck query cannot hold a connection forever. */
  statementTimeoutMs?: number;
  /** How long to wait for a free connection or a new one before failing (UNAVAILABLE upstream). */
  connectionTimeoutMs?: number;
}

const INT8_OID = 20;

/**
 * int8 decodes as a JS number, like PGlite does, so domain code sees the same
 * types on both backends (TOTP steps, counters and audit ids stay far below 2^53).
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (v: string) => Number(v);
    return format === "binary" ? pg.types.getTypeParser(oid, "binary") : pg.types.getTypeParser(oid, "text");
  },
} as pg.CustomTypesConfig;

/**
 * pg-pool reports "no connection within connectionTimeoutMillis" and a
 * dropped connection as plain Errors without a code; give them one, so the
 * rpc layer (which maps by code) answers UNAVAILABLE rather than INTERNAL.
 */
function withConnectionCode(err: unknown): unknown {
  if (err instanceof Error && (err as { code?: unknown }).code === undefined) {
    if (/timeout exceeded when trying to connect/i.test(err.message)) return Object.assign(err, { code: "ETIMEDOUT" });
    if (/connection terminated|not queryable/i.test(err.message)) return Object.assign(err, { code: "ECONNRESET" });
  }
  return err;
}

function adapt(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
      const started = performance.now();
      try {
        const values = params === undefined ? undefined : [...params];
        const r = opts?.name === undefined ? await client.query(sql, values) : await client.query({ name: opts.name, text: sql, values });
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      } catch (err) {
        throw withConnectionCode(err);
      } finally {
        metrics.statement(performance.now() - started);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        // Without parameters pg uses the simple protocol, which accepts several statements.
        await client.query(script);
      } catch (err) {
        throw withConnectionCode(err);
      }
    },
  };
}

/**
 * A `Db` over a pg Pool. Connection errors (ECONNREFUSED, 57P01, 08xxx) are
 * passed through untouched so the rpc layer can answer UNAVAILABLE.
 */
export function createPgDb(opts: PgDbOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    types,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: "twofold",
  });
  // A client losing its connection (a failover, a restart, pg_terminate_backend)
  // emits 'error'; with no listener node would end the process. The pool listens
  // only on idle clients, and a client checked out for a transaction is not idle
  // between its statements, so every client gets a listener of its own for life.
  // The statement that was running, or the next one, reports the failure to its
  // caller (UNAVAILABLE), and the broken client is discarded on release.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const unwatch = metrics.watchPool(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: opts.poolSize }));
  const base = adapt(pool);
  return {
    kind: "pg",
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect().catch((err: unknown) => {
        throw withConnectionCode(err);
      });
      const tx = adapt(client);
      let broken = false;
      try {
        await tx.query("BEGIN");
        try {
          const result = await fn(tx);
          await tx.query("COMMIT");
          return result;
        } catch (err) {
          try {
            await client.query("ROLLBACK");
          } catch {
            broken = true;
          }
          throw err;
        }
      } catch (err) {
        broken ||= isConnectionError(err);
        throw err;
      } finally {
        client.release(broken);
      }
    },
    listen: (channel, handlers) => pgListen(opts.url, channel, handlers),
    async close() {
      unwatch();
      await pool.end();
    },
  };
}

/** True for errors meaning the database is unreachable, not that a statement was wrong. */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  return (
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "ETIMEDOUT" ||
    code === "ENOTFOUND" ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    code.startsWith("08")
  );
}
