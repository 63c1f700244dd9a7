/**
 * The one database interface the domain sees. Both backends (`pg` against a
 * Postgres server and PGlite embedded in-process) implement it, so every
 * statement is plain parameterised SQL that runs unchanged on either.
 */
export interface QueryResult<R> {
  rows: R[];
  /** Rows inserted, updated or deleted (0 for a plain SELECT on PGlite). */
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface Db extends Queryable {
  readonly kind: "pg" | "embedded";
  /** Runs `fn` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
