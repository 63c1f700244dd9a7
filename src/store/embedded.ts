import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Db, Queryable, QueryResult } from "./db.js";
import { lockEmbeddedDir } from "./embedded-lock.js";

const BYTEA_OID = 17;

interface PgliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount?: number; affectedRows?: number }>;
  exec(script: string): Promise<unknown>;
}

function adapt(target: PgliteLike): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const r = await target.query<R>(sql, params === undefined ? undefined : [...params]);
      return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? 0 };
    },
    async exec(script: string): Promise<void> {
      await target.exec(script);
    },
  };
}

/** bytea as a Buffer, as pg returns it, so domain code sees one type. */
function parseBytea(text: string): Buffer {
  return Buffer.from(text.startsWith("\\x") ? text.slice(2) : text, "hex");
}

/**
 * Embedded Postgres (PGlite, WASM) in `<dataDir>/pgdata`, so the service runs
 * with no setup. One in-process connection: PGlite serialises statements and
 * transactions itself. One process at a time: a pid file in the data folder
 * refuses a second opener.
 */
export async function openEmbeddedDb(dataDir: string): Promise<Db> {
  const dir = join(dataDir, "pgdata");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = lockEmbeddedDir(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dir, { parsers: { [BYTEA_OID]: parseBytea } });
  } catch (err) {
    unlock();
    throw err;
  }
  const base = adapt(pglite as unknown as PgliteLike);
  return {
    kind: "embedded",
    query: base.query,
    exec: base.exec,
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pglite.transaction((tx: Transaction) => fn(adapt(tx as unknown as PgliteLike)));
    },
    // One process holds the data folder (embedded-lock.ts), so every NOTIFY comes from this
    // instance and is delivered in order: the subscription is up from the start and never drops.
    async listen(channel, handlers) {
      const unlisten = await pglite.listen(channel, (payload) => handlers.message(payload));
      handlers.up();
      return { close: () => unlisten() };
    },
    async close() {
      try {
        await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}
