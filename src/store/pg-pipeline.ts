/**
 * A few pipelined connections for the named statements that run on their own
 * (autocommit): the login path's Challenge and Verify statements, enrolment's,
 * redemption's. Each call's statement is written to the least busy pipeline
 * at once, without waiting for the statements ahead of it to be answered
 * (pg's `pipeline` mode), so a busy Postgres backend finds the next statement
 * already in its socket instead of sleeping until the next one arrives, and
 * no call waits for a pool connection. Every statement still ends with its
 * own Sync, so it is its own implicit transaction and an error in one does
 * not touch the next.
 *
 * Measured on the 2-core box against a pool of 10 (32 callers, three
 * statements each): about 1.3-1.45 times the statements per second, and a
 * third less of the client's CPU per statement.
 *
 * Cancelling at a call's deadline: Postgres cancels whatever a backend is
 * running, so a cancel is sent only once the statement is the oldest one
 * unanswered on its pipeline (the one the backend is on). The backend may
 * have finished it just before the cancel lands and started the next one;
 * that statement then fails with "canceling statement due to user request"
 * and, having rolled back, is sent again on a pipeline (a stray cancel is
 * not its caller's failure). A call never cuts a shared connection for its
 * own deadline: the pipeline ends its connection itself when the statement it
 * is on has ignored two cancels `cancelGraceMs` apart (the server is gone or
 * hung), which fails every statement on it as a connection error.
 *
 * A statement waiting on a row lock holds up the ones behind it on its
 * pipeline until the lock is released or the statement is cancelled; the
 * statements sent here are single-row autocommit statements of the hot path,
 * whose locks last one statement.
 */
import pg from "pg";
import { deadlineError } from "./call-deadline.js";
import { cancelClientStatement } from "./pg-cancel.js";
import { queryPrepared } from "./pg-prepared.js";

export interface PipelineOptions {
  url: string;
  /** How many pipelined connections at most. */
  count: number;
  connectionTimeoutMs: number;
  statementTimeoutMs: number;
  types: pg.CustomTypesConfig;
  /** Postgres `options` for each connection (the plan cache mode). */
  options: string;
  /** A statement that has not answered this long after its cancel was sent ends its connection. */
  cancelGraceMs: number;
}

/** One statement sent on a pipeline, as the deadline logic in pg.ts drives it. */
export interface Sent {
  readonly result: Promise<pg.QueryResult>;
  /** Cancels the statement on the server once it is the one running. */
  cancel(): void;
  /** Sends nothing more on its connection (it answered in a way that makes it suspect). */
  spoil(): void;
}

interface Entry {
  readonly pipeline: Pipeline;
  readonly promise: Promise<pg.QueryResult>;
  wantsCancel: boolean;
  /** Cancel requests sent for it while it was the head. */
  cancels: number;
}

/** A pg Client's socket; pg keeps it public but untyped. */
interface ClientInternals {
  connection: { stream: { destroy(): void; cork(): void; uncork(): void } };
}

class Pipeline {
  readonly client: pg.Client;
  readonly ready: Promise<void>;
  connected = false;
  retired = false;
  /** Statements written and not yet answered, oldest first: pg answers them in this order. */
  readonly inFlight: Entry[] = [];
  /** Set while the statement at the head has been sent a cancel: ends the connection if it does not answer. */
  private stuck: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: PipelineOptions,
    private readonly onRetire: (p: Pipeline) => void,
    private readonly onEnd: (p: Pipeline) => void,
  ) {
    this.client = new pg.Client({
      connectionString: opts.url,
      pipeline: true,
      types: opts.types,
      connectionTimeoutMillis: opts.connectionTimeoutMs,
      statement_timeout: opts.statementTimeoutMs,
      application_name: "twofold",
      options: opts.options,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    } as pg.ClientConfig);
    // A lost connection fails every statement on it (they report it); then it is replaced.
    this.client.on("error", () => this.retire());
    this.client.on("end", () => this.retire());
    this.ready = this.client.connect().then(
      () => {
        this.connected = true;
      },
      (err: unknown) => {
        this.retire();
        throw err;
      },
    );
    this.ready.catch(() => undefined);
  }

  /** Set while this turn of the event loop's statements gather in the socket (see hold). */
  private held = false;

  /**
   * Holds the socket's writes until the event loop's check phase, so the
   * statements sent in one turn (every response read in one poll, and
   * what their callers send next) leave in one write instead of one each:
   * the write system call per statement was a tenth of the server's CPU
   * under load. pg corks around each statement itself; the counts nest.
   */
  private hold(): void {
    if (this.held) return;
    const stream = this.socket;
    this.held = true;
    stream.cork();
    setImmediate(() => {
      this.held = false;
      stream.uncork();
    });
  }

  send(name: string, text: string, values: unknown[]): Entry {
    this.hold();
    const entry: Entry = {
      pipeline: this,
      promise: queryPrepared(this.client, name, text, values).finally(() => this.settle(entry)),
      wantsCancel: false,
      cancels: 0,
    };
    this.inFlight.push(entry);
    return entry;
  }

  requestCancel(entry: Entry): void {
    entry.wantsCancel = true;
    this.cancelHead();
  }

  private cut(): void {
    this.retire();
    this.destroy();
  }

  private get socket(): ClientInternals["connection"]["stream"] {
    return (this.client as unknown as ClientInternals).connection.stream;
  }

  private destroy(): void {
    this.socket.destroy();
  }

  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.onRetire(this);
    if (this.inFlight.length === 0) void this.end();
  }

  private settle(entry: Entry): void {
    const at = this.inFlight.indexOf(entry);
    if (at >= 0) this.inFlight.splice(at, 1);
    if (at === 0 && this.stuck !== undefined) {
      clearTimeout(this.stuck);
      this.stuck = undefined;
    }
    this.cancelHead();
    if (this.retired && this.inFlight.length === 0) void this.end();
  }

  private cancelHead(): void {
    const head = this.inFlight[0];
    if (head === undefined || !head.wantsCancel || head.cancels > 0) return;
    this.sendCancel(head);
  }

  /**
   * A backend ignores a cancel that arrives between two of a statement's
   * messages (Bind, Execute, Sync), so an unanswered head is sent a second
   * cancel before its connection is ended.
   */
  private sendCancel(head: Entry): void {
    if (!cancelClientStatement(this.client)) return;
    head.cancels++;
    this.stuck = setTimeout(() => {
      this.stuck = undefined;
      if (this.inFlight[0] !== head) return;
      if (head.cancels < 2) this.sendCancel(head);
      else this.cut();
    }, this.opts.cancelGraceMs);
    this.stuck.unref();
  }

  private ending: Promise<void> | undefined;

  /** Ends the connection once: gracefully, or cut when the server does not let it go within `graceMs`. */
  end(graceMs = 1_000): Promise<void> {
    this.ending ??= (async () => {
      const cutAfter = setTimeout(() => this.destroy(), graceMs);
      cutAfter.unref();
      try {
        await this.client.end();
      } catch {
        // Ending a connection that failed: nothing to do.
      } finally {
        clearTimeout(cutAfter);
        this.onEnd(this);
      }
    })();
    return this.ending;
  }
}

/**
 * How many stray cancels one statement is sent again after. Several calls
 * reaching their deadlines together (a locked table) send several cancels on
 * one pipeline, and each may land on a later statement than it was sent for;
 * a statement whose own deadline has passed takes the next as its own. The
 * bound ends a statement that someone keeps cancelling (pg_cancel_backend).
 */
const maxResends = 4;

/**
 * A named statement refused before anything ran: missing on its connection
 * (26000; its first run's Parse failed while later runs, sent behind it,
 * counted on it) or parsed twice (42P05). Its connection's record of what is
 * parsed is wrong, so that connection is retired.
 */
function isUnparsed(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "26000" || code === "42P05";
}

/** Postgres's message for a cancel request, as opposed to a statement timeout (both are 57014). */
function isStrayCancel(err: unknown, entry: Entry): boolean {
  if (entry.wantsCancel) return false;
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === "57014" && typeof e.message === "string" && e.message.includes("user request");
}

export class Pipelines {
  private live: Pipeline[] = [];
  /** Every pipeline not yet ended, live or retired and draining. */
  private readonly open = new Set<Pipeline>();
  private closed = false;

  constructor(private readonly opts: PipelineOptions) {}

  /**
   * A connected pipeline, the least busy; opens another while fewer than
   * `count` are live. A promise only while the one chosen is still connecting.
   */
  pick(): Pipeline | Promise<Pipeline> {
    if (this.closed) throw Object.assign(new Error("database closed"), { code: "ECONNRESET" });
    let best: Pipeline | undefined;
    for (const p of this.live) if (p.connected && (best === undefined || p.inFlight.length < best.inFlight.length)) best = p;
    if (best !== undefined && (best.inFlight.length === 0 || this.live.length >= this.opts.count)) return best;
    if (this.live.length < this.opts.count) {
      const p = new Pipeline(
        this.opts,
        (gone) => {
          this.live = this.live.filter((q) => q !== gone);
        },
        (ended) => this.open.delete(ended),
      );
      this.live.push(p);
      this.open.add(p);
      return best ?? p.ready.then(() => p);
    }
    // All connecting: wait for the first.
    const first = this.live[0] as Pipeline;
    return first.ready.then(() => first);
  }

  /** Writes the statement on `pipeline` now. */
  send(pipeline: Pipeline, name: string, text: string, values: unknown[]): Sent {
    let entry = pipeline.send(name, text, values);
    let resends = 0;
    let cancelled = false;
    const result = (async () => {
      for (;;) {
        try {
          return await entry.promise;
        } catch (err) {
          const unparsed = isUnparsed(err);
          if (unparsed) entry.pipeline.retire();
          if (cancelled || resends >= maxResends || !(unparsed || isStrayCancel(err, entry))) throw err;
          resends++;
          const next = await this.pick();
          // The call's deadline passed while a pipeline was being opened: nothing of it ran.
          if (cancelled) throw deadlineError();
          entry = next.send(name, text, values);
        }
      }
    })();
    return {
      result,
      cancel: () => {
        cancelled = true;
        entry.pipeline.requestCancel(entry);
      },
      spoil: () => entry.pipeline.retire(),
    };
  }

  /** Connected pipelines, and the statements in flight on them. */
  stats(): { pipelines: number; pipelined: number } {
    let pipelines = 0;
    let pipelined = 0;
    for (const p of this.live) {
      if (!p.connected) continue;
      pipelines++;
      pipelined += p.inFlight.length;
    }
    return { pipelines, pipelined };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = [];
    await Promise.all([...this.open].map((p) => p.end()));
  }
}
