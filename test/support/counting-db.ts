import type { Db, Queryable, QueryOptions, QueryResult } from "../../src/store/db.js";

/** One statement a wrapped Db sent: its text, and whether it ran inside a transaction. */
export interface SentStatement {
  sql: string;
  inTransaction: boolean;
  /**
   * The `synchronous_commit` the statement set for its own commit
   * (asyncCommitColumn's `h_async_commit`), or undefined when it left the
   * connection's setting alone.
   */
  commitSetting?: string;
}

/** A Db that records every statement it sends (BEGIN and COMMIT included) and may run a hook before one. */
export interface CountingDb extends Db {
  readonly sent: SentStatement[];
  /** Forgets what was recorded. */
  reset(): void;
  /**
   * Runs `hook` once, just before the first statement whose text matches
   * `pattern` is sent: a test's way to make something happen between two of
   * a call's statements (another replica spending a transaction, say).
   */
  before(pattern: RegExp, hook: () => Promise<void>): void;
}

/**
 * Wraps `inner` (the real Postgres pool or the embedded store) so a test can
 * count the round trips each call makes (docs/design.md "Database round
 * trips": Challenge 1, Verify 2) and inject faults between them. Every
 * statement still runs on the real database.
 */
export function countingDb(inner: Db): CountingDb {
  const sent: SentStatement[] = [];
  const hooks: { pattern: RegExp; hook: () => Promise<void> }[] = [];
  const record = async (sql: string, inTransaction: boolean): Promise<SentStatement> => {
    const i = hooks.findIndex((h) => h.pattern.test(sql));
    if (i >= 0) {
      const [h] = hooks.splice(i, 1);
      await h?.hook();
    }
    const statement: SentStatement = { sql, inTransaction };
    sent.push(statement);
    return statement;
  };
  const wrap = (q: Queryable, inTransaction: boolean): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
      const statement = await record(sql, inTransaction);
      const result = await q.query<R>(sql, params, opts);
      const setting = (result.rows[0] as { h_async_commit?: unknown } | undefined)?.h_async_commit;
      if (typeof setting === "string") statement.commitSetting = setting;
      return result;
    },
    async exec(script: string): Promise<void> {
      await record(script, inTransaction);
      return q.exec(script);
    },
  });
  // The same records whether a statement runs inside a call (during) or outside any.
  const view = (db: Db): Db => {
    const outer = wrap(db, false);
    return {
      kind: db.kind,
      during: (deadline) => view(inner.during(deadline)),
      query: outer.query,
      exec: outer.exec,
      async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
        sent.push({ sql: "BEGIN", inTransaction: true });
        const result = await db.transaction((tx) => fn(wrap(tx, true)));
        sent.push({ sql: "COMMIT", inTransaction: true });
        return result;
      },
      listen: (channel, handlers) => inner.listen(channel, handlers),
      ping: () => inner.ping(),
      close: () => inner.close(),
    };
  };
  return {
    ...view(inner),
    sent,
    reset: () => void sent.splice(0),
    before: (pattern, hook) => void hooks.push({ pattern, hook }),
  };
}
