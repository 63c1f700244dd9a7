import { setTimeout as sleep } from "node:timers/promises";
import type { CallDeadline } from "../../src/store/call-deadline.js";
import type { Db, Queryable, QueryOptions, QueryResult } from "../../src/store/db.js";

/**
 * A real Db with a pause injected before one chosen step of a call, so a test
 * can make a call's deadline pass at an exact point of its work: before its
 * API-key lookup, before any statement, or at the end of a transaction's work
 * (just before its COMMIT). The pause lasts until the call's deadline has
 * passed (then the step starts, a moment after it), or `pauseMs` outside any
 * call. Steps are counted only while armed. Fault injection on the real
 * database, not a mock: every statement still runs on Postgres.
 */
export interface DelayingDb extends Db {
  /** Counts steps from now; pauses before the step numbered `before` (0-based), if given. */
  arm(before: number | undefined, pauseMs: number): void;
  /** Stops counting; returns how many steps ran since arm(). */
  disarm(): number;
  /** Resolves once every operation started through this Db has settled. */
  idle(): Promise<void>;
}

export function delayingDb(inner: Db): DelayingDb {
  let armed = false;
  let count = 0;
  let pauseBefore: number | undefined;
  let pauseMs = 0;
  const inFlight = new Set<Promise<unknown>>();

  /** Waits if this step is the chosen one; returns after counting it. */
  const step = async (deadline: CallDeadline | undefined): Promise<void> => {
    if (!armed) return;
    const n = count++;
    if (n !== pauseBefore) return;
    if (deadline === undefined) await sleep(pauseMs);
    else await new Promise<void>((resolve) => deadline.onAbort(() => setImmediate(resolve)));
  };
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const done = (): void => void inFlight.delete(p);
    p.then(done, done);
    return p;
  };
  const wrap = (target: Queryable, deadline: CallDeadline | undefined): Queryable => ({
    query<R>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
      return track(step(deadline).then(() => target.query<R>(sql, params, opts)));
    },
    exec(script: string): Promise<void> {
      return track(step(deadline).then(() => target.exec(script)));
    },
  });
  /** `db` (the inner Db, or its view for a call) with the pauses; `deadline` is that call's. */
  const view = (db: Db, deadline: CallDeadline | undefined): Db => {
    const outer = wrap(db, deadline);
    return {
      kind: db.kind,
      during: (d) => view(inner.during(d), d),
      query: outer.query,
      exec: outer.exec,
      transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
        return track(
          db.transaction(async (tx) => {
            const result = await fn(wrap(tx, deadline));
            await step(deadline); // the end of the work, just before COMMIT
            return result;
          }),
        );
      },
      ping: () => inner.ping(),
      listen: (channel, handlers) => inner.listen(channel, handlers),
      close: () => inner.close(),
    };
  };
  return {
    ...view(inner, undefined),
    arm(before, ms) {
      armed = true;
      count = 0;
      pauseBefore = before;
      pauseMs = ms;
    },
    disarm() {
      armed = false;
      pauseBefore = undefined;
      return count;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
