import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { deadlineError, type CallDeadline } from "./call-deadline.js";
import type { Db, Queryable, QueryResult } from "./db.js";
import { lockEmbeddedDir } from "./embedded-lock.js";
import { isWriteStatement } from "./statement-kind.js";

const BYTEA_OID = 17;

interface PgliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount?: number; affectedRows?: number }>;
  exec(script: string): Promise<unknown>;
}

/** A statement of a call whose time is up, and which has committed nothing, does not start. */
function refuseIfLate(deadline: CallDeadline | undefined): void {
  if (deadline !== undefined && deadline.aborted && !deadline.committed) throw deadlineError();
}

function adapt(target: PgliteLike, deadline?: CallDeadline): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      refuseIfLate(deadline);
      const r = await target.query<R>(sql, params === undefined ? undefined : [...params]);
      return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? 0 };
    },
    async exec(script: string): Promise<void> {
      refuseIfLate(deadline);
      await target.exec(script);
    },
  };
}

/**
 * Runs `fn` in a PGlite transaction under the call's deadline (call-deadline.ts):
 * PGlite runs one transaction at a time, so the checks happen once this one
 * has its turn. It starts only if the time is not up, and it commits only if
 * the deadline has not passed by the end of `fn`; otherwise it rolls back and
 * fails with 57014, so DEADLINE_EXCEEDED means nothing changed. PGlite cannot
 * cancel a statement, so nothing is cut short once it runs.
 */
async function inTransaction<T>(pglite: PGlite, fn: (tx: Queryable) => Promise<T>, deadline: CallDeadline | undefined): Promise<T> {
  if (deadline === undefined || deadline.committed) return pglite.transaction((tx: Transaction) => fn(adapt(tx as unknown as PgliteLike)));
  let committing = false;
  try {
    const result = await pglite.transaction(async (tx: Transaction) => {
      refuseIfLate(deadline);
      const out = await fn(adapt(tx as unknown as PgliteLike, deadline));
      if (!deadline.beginCommit()) throw deadlineError();
      committing = true;
      return out;
    });
    if (committing) deadline.endCommit("committed");
    committing = false;
    return result;
  } finally {
    if (committing) deadline.endCommit("rolled_back");
  }
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
  const ping = async (): Promise<boolean> => {
    // In-process: it answers unless it was closed.
    if (pglite.closed) return false;
    try {
      await pglite.query("SELECT 1");
      return true;
    } catch {
      return false;
    }
  };
  // One process holds the data folder (embedded-lock.ts), so every NOTIFY comes from this
  // instance and is delivered in order: the subscription is up from the start and never drops.
  const listen: Db["listen"] = async (channel, handlers) => {
    const unlisten = await pglite.listen(channel, (payload) => handlers.message(payload));
    handlers.up();
    return { close: () => unlisten() };
  };
  const close = async (): Promise<void> => {
    try {
      await pglite.close();
    } finally {
      unlock();
    }
  };
  const base = adapt(pglite as unknown as PgliteLike);
  const view = (deadline: CallDeadline | undefined): Db => ({
    kind: "embedded",
    during: view,
    query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      if (deadline === undefined) return base.query<R>(sql, params);
      // A write on its own commits: it gets the check-before-commit of a transaction.
      if (isWriteStatement(sql)) return inTransaction(pglite, (tx) => tx.query<R>(sql, params), deadline);
      refuseIfLate(deadline);
      return base.query<R>(sql, params);
    },
    exec(script: string): Promise<void> {
      if (deadline === undefined) return base.exec(script);
      return inTransaction(pglite, (tx) => tx.exec(script), deadline);
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return inTransaction(pglite, fn, deadline);
    },
    ping,
    listen,
    close,
  });
  return view(undefined);
}
