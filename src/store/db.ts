import type { CallDeadline } from "./call-deadline.js";

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

/** How a statement is sent. */
export interface QueryOptions {
  /**
   * Prepare the statement under this name on each connection the first time
   * it runs there, and reuse the plan after (pg's named statements). Only for
   * statements of a fixed shape; the embedded backend ignores it.
   */
  name?: string;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** What a LISTEN subscription reports. */
export interface ListenHandlers {
  /** A notification's payload on the channel. */
  message(payload: string): void;
  /** Listening (again): notifications from now on arrive; any sent while down were missed. */
  up(): void;
  /** Not listening (connection lost): notifications may be missed until the next up(). */
  down(): void;
}

export interface Db extends Queryable {
  readonly kind: "pg" | "embedded";
  /**
   * This database as one call sees it: its statements and transactions honour
   * `deadline` (call-deadline.ts). The Db itself runs outside any call (CLI
   * commands, migrations, sweeps): nothing is refused or cancelled for time.
   */
  during(deadline: CallDeadline): Db;
  /**
   * Subscribes to a Postgres NOTIFY channel on a connection of its own,
   * reconnecting when it drops. Resolves once the first attempt is made
   * (up() or down() has been called); close() ends it.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<{ close(): Promise<void> }>;
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
