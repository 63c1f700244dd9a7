import { performance } from "node:perf_hooks";
import pg from "pg";
import { deadlineError, type CallDeadline, type CommitOutcome } from "./call-deadline.js";
import { metrics } from "../metrics/index.js";
import type { Db, Queryable, QueryOptions, QueryResult } from "./db.js";
import { cancelClientStatement } from "./pg-cancel.js";
import { pgListen } from "./pg-listen.js";
import { queryPrepared } from "./pg-prepared.js";
import { Pipelines, type Sent } from "./pg-pipeline.js";
import { PoolSlots } from "./pool-slots.js";
import { isWriteStatement } from "./statement-kind.js";

/** Options for the Postgres-server backend. */
export interface PgDbOptions {
  url: string;
  poolSize: number;
  /**
   * Server-side statement_timeout per connection: the backstop for a statement
   * run outside any call's deadline, or one that no cancel reached. It bounds
   * lock waits too (a statement's time includes waiting for its locks).
   */
  statementTimeoutMs?: number;
  /**
   * How long to wait for a pool slot or a new connection before failing with
   * UNAVAILABLE ("pool full" or "server not answering"); a call's deadline
   * ends the wait sooner, with DEADLINE_EXCEEDED.
   */
  connectionTimeoutMs?: number;
  /**
   * Pipelined connections for the named statements a call (one with a
   * deadline) runs on their own (pg-pipeline.ts), besides the pool; 0 sends
   * every statement through the pool.
   */
  pipelines?: number;
}

const INT8_OID = 20;
const pgOptions = "-c plan_cache_mode=force_generic_plan";

/**
 * After a call's deadline, a cancelled statement has this long to report back
 * before its connection is cut (a partitioned server never answers the cancel).
 */
const cancelGraceMs = 500;
/** The same for a COMMIT under way at the deadline: it is never cancelled, only cut when the server stops answering. */
const commitGraceMs = 2_000;
/**
 * A call that has committed is not stopped at its deadline, so its answer can
 * tell what it did; its remaining statements get this much longer, then they
 * are stopped too (the transport then answers UNAVAILABLE: the outcome is
 * partly known only to the database).
 */
const postCommitGraceMs = 250;

/**
 * When the call's statements must stop: at its deadline (or cancellation)
 * while it has committed nothing, a grace period later once it has, never
 * outside a call. Returns a subscription like CallDeadline.onAbort.
 */
function stopsAt(deadline: CallDeadline): (listener: () => void) => () => void;
function stopsAt(deadline: CallDeadline | undefined): ((listener: () => void) => () => void) | undefined;
function stopsAt(deadline: CallDeadline | undefined): ((listener: () => void) => () => void) | undefined {
  if (deadline === undefined) return undefined;
  if (!deadline.committed) return (listener) => deadline.onAbort(listener);
  return (listener) => {
    let timer: NodeJS.Timeout | undefined;
    // Counted from the abort, not from when this statement began to wait.
    const unsubscribe = deadline.onAbort(() => {
      timer = setTimeout(listener, Math.max(0, deadline.abortedAt + postCommitGraceMs - performance.now()));
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  };
}

/**
 * int8 decodes as a JS number, like PGlite does, so domain code sees the same
 * types on both backends (TOTP steps, counters and audit ids stay far below 2^53).
 */
const parseInt8 = (v: string): number => Number(v);
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return parseInt8;
    return format === "binary" ? pg.types.getTypeParser(oid, "binary") : pg.types.getTypeParser(oid, "text");
  },
} as pg.CustomTypesConfig;

/**
 * pg reports "no connection within connectionTimeoutMillis" and a
 * dropped connection as plain Errors without a code; give them one, so the
 * rpc layer (which maps by code) answers UNAVAILABLE rather than INTERNAL.
 */
function withConnectionCode(err: unknown): unknown {
  if (err instanceof Error && (err as { code?: unknown }).code === undefined) {
    // pg-pool's wording, and a lone pg Client's (the pipelined connections, pg-pipeline.ts).
    if (/timeout exceeded when trying to connect|^timeout expired$/i.test(err.message)) return Object.assign(err, { code: "ETIMEDOUT" });
    if (/connection terminated|not queryable/i.test(err.message)) return Object.assign(err, { code: "ECONNRESET" });
  }
  return err;
}

/** `connecting` (a pipeline being opened), waited for no longer than the call may (stopsAt). */
function untilOver<T>(connecting: Promise<T>, deadline: CallDeadline): Promise<T> {
  const whenOver = stopsAt(deadline);
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = whenOver(() => reject(deadlineError()));
    connecting.then(
      (value) => {
        unsubscribe();
        resolve(value);
      },
      (err: unknown) => {
        unsubscribe();
        reject(withConnectionCode(err));
      },
    );
  });
}

/** How a statement relates to the call's deadline. */
type Mode =
  /** Refused once the deadline passed, cancelled at the deadline (a read, or a statement inside a transaction). */
  | "checked"
  /** A statement that commits by itself (autocommit write): checked and cancellable, and counted as a commit. */
  | "write"
  /** COMMIT: checked before it starts, never cancelled, counted as a commit. */
  | "commit"
  /** ROLLBACK and the like: always run, only cut if the server stops answering. */
  | "cleanup";

/** One checked-out client and what happened to it during this use. */
class Lease {
  private released = false;
  /** A cancel was sent, or the connection broke: never hand this client to anyone else. */
  private spoiled = false;

  constructor(
    readonly client: pg.PoolClient,
    private readonly slots: PoolSlots,
  ) {}

  spoil(): void {
    this.spoiled = true;
  }

  get isSpoiled(): boolean {
    return this.spoiled;
  }

  /** Cancels the running statement (see pg-cancel.ts); the client is discarded afterwards, since a late cancel could hit its next statement. */
  cancel(): void {
    this.spoiled = true;
    cancelClientStatement(this.client);
  }

  /** Idempotent; a spoiled client is destroyed (pg-pool ends it, cutting a statement still running). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.client.release(this.spoiled ? true : undefined);
    this.slots.give();
  }
}

/**
 * Runs one statement on a leased client under the call's deadline: refused
 * before it starts if the time is up, cancelled on the server when the
 * deadline passes while it runs, and cut locally if the server does not
 * answer within a grace period after that.
 */
function run(
  lease: Lease,
  sql: string,
  params: readonly unknown[] | undefined,
  deadline: CallDeadline | undefined,
  mode: Mode,
  name?: string,
): Promise<pg.QueryResult> {
  return underDeadline(
    {
      send() {
        const values = params === undefined ? undefined : [...params];
        // A named statement is parsed, planned and described once per connection (QueryOptions.name, pg-prepared.ts).
        return name === undefined ? lease.client.query(sql, values) : queryPrepared(lease.client, name, sql, values ?? []);
      },
      cancel: () => lease.cancel(),
      cut() {
        lease.spoil();
        lease.release();
      },
      spoil: () => lease.spoil(),
    },
    deadline,
    mode,
    name !== undefined,
  );
}

/** Where underDeadline sends a statement and how it stops it. */
interface Target {
  send(): Promise<pg.QueryResult>;
  /** Asks the server to cancel the statement. */
  cancel(): void;
  /** Gives up on the connection: the statement fails locally. */
  cut(): void;
  /** Marks the connection as not to be used again. */
  spoil(): void;
}

async function underDeadline(target: Target, deadline: CallDeadline | undefined, mode: Mode, named: boolean): Promise<pg.QueryResult> {
  // A call that already committed goes on past its deadline for a while (stopsAt), so its answer tells what it did.
  const uncommitted = deadline !== undefined && !deadline.committed;
  if (uncommitted && mode !== "cleanup") {
    const refused = mode === "write" || mode === "commit" ? !deadline.beginCommit() : deadline.aborted;
    if (refused) throw deadlineError();
  }
  const counted = uncommitted && (mode === "write" || mode === "commit");
  let outcome: CommitOutcome = "unknown";
  let hardStop: NodeJS.Timeout | undefined;
  const whenOver = stopsAt(deadline);
  const unsubscribe = whenOver !== undefined
    ? whenOver(() => {
        if (mode === "checked" || mode === "write") target.cancel();
        hardStop = setTimeout(() => target.cut(), mode === "commit" ? commitGraceMs : cancelGraceMs);
      })
    : undefined;
  const started = performance.now();
  try {
    const result = await target.send();
    // A COMMIT of a transaction that had already failed answers ROLLBACK, not an error.
    outcome = result.command === "ROLLBACK" ? "rolled_back" : "committed";
    return result;
  } catch (err) {
    const coded = withConnectionCode(err);
    if (isConnectionError(coded)) target.spoil();
    else {
      outcome = "rolled_back";
      // A named statement this connection can no longer run (its tables changed shape under the
      // plan, 0A000, or it is gone, 26000) would fail there on every call: use a fresh connection.
      if (named && isStalePreparedStatement(coded)) target.spoil();
    }
    throw coded;
  } finally {
    metrics.statement(performance.now() - started);
    unsubscribe?.();
    if (hardStop !== undefined) clearTimeout(hardStop);
    if (counted) deadline?.endCommit(outcome);
  }
}

/**
 * A `Db` over a pg Pool that honours the deadline of the call it runs for
 * (call-deadline.ts): waiting for a connection counts against the deadline,
 * every statement is cancelled when it passes, and no statement that could
 * commit starts after it, so DEADLINE_EXCEEDED means nothing changed.
 * Connection errors (ECONNREFUSED, 57P01, 08xxx) are passed through with
 * their codes so the rpc layer can answer UNAVAILABLE.
 */
export function createPgDb(opts: PgDbOptions): Db {
  const connectionTimeoutMs = opts.connectionTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    types,
    connectionTimeoutMillis: connectionTimeoutMs,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: "twofold",
    // Prepared statements are planned once per connection, not on every call: each hot-path
    // statement looks rows up by key, so the generic plan is the custom one (docs/design.md
    // "Database round trips"); a custom plan per call cost Postgres as much as the execution.
    options: pgOptions,
    // TCP keep-alive notices a server that vanished without closing the connection.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  const slots = new PoolSlots(opts.poolSize);
  const pipes =
    (opts.pipelines ?? 0) > 0
      ? new Pipelines({
          url: opts.url,
          count: opts.pipelines ?? 0,
          connectionTimeoutMs,
          statementTimeoutMs: opts.statementTimeoutMs ?? 10_000,
          types,
          options: pgOptions,
          cancelGraceMs,
        })
      : undefined;
  const unwatch = metrics.watchPool(() => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: opts.poolSize,
    ...(pipes?.stats() ?? { pipelines: 0, pipelined: 0 }),
  }));
  const probe = healthProbe(opts.url);
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

  /** A pool slot, then a client: the whole wait bounded by the call's deadline and by connectionTimeoutMs. */
  async function lease(deadline: CallDeadline | undefined): Promise<Lease> {
    if (deadline !== undefined && !deadline.committed && deadline.aborted) throw deadlineError();
    const whenOver = stopsAt(deadline);
    if (!slots.tryTake()) {
      const refusal = await slots.take(connectionTimeoutMs, whenOver);
      if (refusal === "deadline") throw deadlineError();
      if (refusal === "timeout") throw Object.assign(new Error("no database connection free within the pool timeout"), { code: "ETIMEDOUT" });
    }
    const connecting = pool.connect();
    if (whenOver === undefined) {
      try {
        return new Lease(await connecting, slots);
      } catch (err) {
        slots.give();
        throw withConnectionCode(err);
      }
    }
    return new Promise<Lease>((resolve, reject) => {
      let settled = false;
      const unsubscribe = whenOver(() => {
        if (settled) return;
        settled = true;
        reject(deadlineError());
      });
      connecting.then(
        (client) => {
          unsubscribe();
          const leased = new Lease(client, slots);
          if (settled) leased.release(); // the caller gave up meanwhile
          else {
            settled = true;
            resolve(leased);
          }
        },
        (err: unknown) => {
          unsubscribe();
          slots.give();
          if (settled) return;
          settled = true;
          reject(withConnectionCode(err));
        },
      );
    });
  }

  /** A named autocommit statement on a pipelined connection (pg-pipeline.ts), under the same deadline rules. */
  async function pipelined(
    pipelines: Pipelines,
    sql: string,
    params: readonly unknown[] | undefined,
    deadline: CallDeadline,
    write: boolean,
    name: string,
  ): Promise<pg.QueryResult> {
    if (!deadline.committed && deadline.aborted) throw deadlineError();
    const picked = pipelines.pick();
    const pipeline = picked instanceof Promise ? await untilOver(picked, deadline) : picked;
    let sent: Sent | undefined;
    return underDeadline(
      {
        send() {
          sent = pipelines.send(pipeline, name, sql, params === undefined ? [] : [...params]);
          return sent.result;
        },
        cancel: () => sent?.cancel(),
        // The pipeline ends a connection whose statement ignores its cancel (pg-pipeline.ts), not one call.
        cut: () => undefined,
        spoil: () => sent?.spoil(),
      },
      deadline,
      write ? "write" : "checked",
      true,
    );
  }

  /** One statement on a client of its own, released afterwards. */
  async function standalone(
    sql: string,
    params: readonly unknown[] | undefined,
    deadline: CallDeadline | undefined,
    write: boolean,
    name?: string,
  ): Promise<pg.QueryResult> {
    // Only a call's statements: one with no deadline (a sweep, a CLI command) is never cancelled,
    // and on a pipeline it could hold up the calls' statements behind it.
    if (name !== undefined && pipes !== undefined && deadline !== undefined) return pipelined(pipes, sql, params, deadline, write, name);
    const leased = await lease(deadline);
    try {
      return await run(leased, sql, params, deadline, write ? "write" : "checked", name);
    } finally {
      leased.release();
    }
  }

  async function transaction<T>(fn: (tx: Queryable) => Promise<T>, deadline: CallDeadline | undefined): Promise<T> {
    const leased = await lease(deadline);
    const tx: Queryable = {
      async query<R>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
        const r = await run(leased, sql, params, deadline, "checked", opts?.name);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      },
      async exec(script: string): Promise<void> {
        await run(leased, script, undefined, deadline, "checked");
      },
    };
    try {
      await run(leased, "BEGIN", undefined, deadline, "checked");
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        await rollback(leased, deadline);
        throw err;
      }
      try {
        await run(leased, "COMMIT", undefined, deadline, "commit");
      } catch (err) {
        // Refused at the deadline: the transaction is still open.
        if (!leased.isSpoiled) await rollback(leased, deadline);
        throw err;
      }
      return result;
    } finally {
      leased.release();
    }
  }

  /** The Db as seen from `deadline`'s call, or from outside any call. */
  function view(deadline: CallDeadline | undefined): Db {
    return {
      kind: "pg",
      during: (d) => view(d),
      async query<R>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
        const r = await standalone(sql, params, deadline, isWriteStatement(sql), opts?.name);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      },
      async exec(script: string): Promise<void> {
        // Without parameters pg uses the simple protocol, which accepts several statements.
        await standalone(script, undefined, deadline, true);
      },
      transaction: (fn) => transaction(fn, deadline),
      ping,
      listen,
      close,
    };
  }

  const ping = (): Promise<boolean> => probe.ping();
  const listen: Db["listen"] = (channel, handlers) => pgListen(opts.url, channel, handlers);
  const close = async (): Promise<void> => {
    unwatch();
    probe.close();
    await pipes?.close();
    await pool.end();
  };
  return view(undefined);
}

/** How long health's probe waits for the database before calling it unreachable. */
const pingTimeoutMs = 1_000;

/**
 * One connection of its own for health's readiness probe, kept open between
 * probes, replaced when it breaks. A probe that finds its connection broken
 * (terminated by a failover or an administrator) tries once more on a fresh
 * one, so only a database that refuses a new connection reads as down.
 */
function healthProbe(url: string): { ping(): Promise<boolean>; close(): void } {
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;
  const open = (): Promise<pg.Client> => {
    connecting ??= (async () => {
      const c = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: pingTimeoutMs,
        query_timeout: pingTimeoutMs,
        application_name: "twofold-health",
        keepAlive: true,
      });
      c.on("error", () => {
        if (client === c) client = undefined;
      });
      try {
        await c.connect();
      } catch (err) {
        void c.end().catch(() => undefined);
        throw err;
      }
      client = c;
      return c;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };
  const once = async (): Promise<void> => {
    const c = client ?? (await open());
    try {
      await c.query("SELECT 1");
    } catch (err) {
      if (client === c) client = undefined;
      void c.end().catch(() => undefined);
      throw err;
    }
  };
  return {
    async ping() {
      if (closed) return false;
      try {
        await once();
        return true;
      } catch {
        try {
          await once();
          return true;
        } catch {
          return false;
        }
      }
    },
    close() {
      closed = true;
      void client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}

/** Ends a failed transaction; a client whose connection (or cancel) left it in doubt is discarded instead, which rolls back too. */
async function rollback(leased: Lease, deadline: CallDeadline | undefined): Promise<void> {
  if (leased.isSpoiled) return;
  try {
    await run(leased, "ROLLBACK", undefined, deadline, "cleanup");
  } catch {
    leased.spoil();
  }
}

/** A named statement that cannot run again on its connection: "cached plan must not change result type" or "prepared statement does not exist". */
function isStalePreparedStatement(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "0A000" || code === "26000";
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
    code === "EPIPE" ||
    code === "ENOENT" ||
    code === "EAI_AGAIN" ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    code.startsWith("08")
  );
}
