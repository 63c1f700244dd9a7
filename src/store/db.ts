/**
 * The one database interface the domain sees. Both backends (`pg` against a
 * Postgres server and PGlite embedded in-process) implement it, so every
 * statement is plain parameterised SQL that runs unchanged on either.
 *
 * Both backends decode values alike: `bigint` (int8) as a JS number, `bytea`
 * as a Buffer, `timestamptz` as a Date, `jsonb` as parsed JSON.
 */
export interface QueryResult<R> {
  rows: R[];
  /** Rows inserted, updated, deleted or selected by the statement. */
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "pg" | "embedded";
  /** Runs `fn` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Whether the database answers right now, within about a second: health's
   * readiness. It does not queue behind the calls in the pool, so a busy
   * replica is not reported as one without a database.
   */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
