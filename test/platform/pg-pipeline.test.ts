import { createServer, Socket, type AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallDeadline } from "../../src/store/call-deadline.js";
import type { Db } from "../../src/store/db.js";
import { createPgDb, isConnectionError } from "../../src/store/pg.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

/**
 * Named autocommit statements on pipelined connections (src/store/pg-pipeline.ts):
 * each caller gets its own answer, a deadline cancels only the statement it
 * belongs to, and a cancel that lands on the wrong statement is not that
 * statement's failure.
 */
describe("pipelined connections", () => {
  let database: TestDatabase;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query("CREATE TABLE p (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO p VALUES (1, 10), (2, 20)");
  });
  afterAll(async () => {
    await admin?.end();
    await database?.drop();
  });

  async function withDb(pipelines: number, fn: (db: Db) => Promise<void>): Promise<void> {
    const db = createPgDb({ url: database.url, poolSize: 2, pipelines });
    try {
      await fn(db);
    } finally {
      await db.close();
    }
  }

  /** The backend running a statement whose text contains `marker` (one that began after `after`), once it runs. */
  async function running(marker: string, after = "-infinity"): Promise<{ pid: number; began: string }> {
    for (let i = 0; i < 250; i++) {
      const r = await admin.query<{ pid: number; began: string }>(
        `SELECT pid, query_start::text AS began FROM pg_stat_activity
          WHERE state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid() AND query_start > $2::timestamptz`,
        [marker, after],
      );
      if (r.rows[0] !== undefined) return r.rows[0];
      await sleep(20);
    }
    throw new Error(`no backend ran ${marker}`);
  }

  const cancel = (pid: number) => admin.query("SELECT pg_cancel_backend($1)", [pid]);

  /** A call's view of the database, with a deadline far off: only a call's statements go on pipelines. */
  const inCall = (db: Db): Db => db.during(new CallDeadline(performance.now() + 60_000));

  it("answers each of 300 concurrent named statements with its own row, on at most two connections", async () => {
    await withDb(2, async (db) => {
      const values = Array.from({ length: 300 }, (_, i) => i);
      const call = inCall(db);
      const rows = await Promise.all(values.map((v) => call.query<{ v: number }>("SELECT $1::int AS v", [v], { name: "tf_pipe_echo" })));
      expect(rows.map((r) => r.rows[0]?.v)).toEqual(values);
      const conns = await admin.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'twofold'",
      );
      expect(Number(conns.rows[0]?.n)).toBeLessThanOrEqual(2);
    });
  });

  it("writes the statements sent in one turn of the event loop to its socket at once", async () => {
    await withDb(1, async (db) => {
      const call = inCall(db);
      // Connected, and the statement parsed and described, before counting.
      await call.query("SELECT $1::int AS v", [0], { name: "tf_pipe_batch" });
      const proto = Socket.prototype as unknown as { _writev: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown };
      const { _writev: writev, _write: write } = proto;
      let writes = 0;
      proto._writev = function (this: unknown, ...a: unknown[]) {
        writes++;
        return writev.apply(this, a);
      };
      proto._write = function (this: unknown, ...a: unknown[]) {
        writes++;
        return write.apply(this, a);
      };
      try {
        const values = Array.from({ length: 20 }, (_, i) => i + 1);
        const rows = await Promise.all(values.map((v) => call.query<{ v: number }>("SELECT $1::int AS v", [v], { name: "tf_pipe_batch" })));
        expect(rows.map((r) => r.rows[0]?.v)).toEqual(values);
      } finally {
        proto._writev = writev;
        proto._write = write;
      }
      expect(writes).toBe(1);
    });
  });

  it("cancels a write stuck on a row lock at its deadline, changing nothing, and answers the statement behind it", async () => {
    await withDb(1, async (db) => {
      const locker = new pg.Client({ connectionString: database.url });
      await locker.connect();
      try {
        await locker.query("BEGIN");
        await locker.query("SELECT 1 FROM p WHERE id = 1 FOR UPDATE");
        const deadline = new CallDeadline(performance.now() + 300);
        const timer = setTimeout(() => deadline.abort(new Error("deadline")), 300);
        const started = performance.now();
        const stuck = db
          .during(deadline)
          .query("UPDATE p SET n = n + 1 WHERE id = $1 RETURNING n /* pipe_stuck */", [1], { name: "tf_pipe_stuck" })
          .catch((e: unknown) => e);
        // Sent once the stuck one runs, on the only pipeline: it waits behind it, then runs.
        await running("pipe_stuck");
        let behindAt = 0;
        const behind = inCall(db)
          .query<{ n: number }>("SELECT n FROM p WHERE id = $1", [2], { name: "tf_pipe_behind" })
          .finally(() => (behindAt = performance.now()));
        const err = await stuck;
        clearTimeout(timer);
        expect(err).toMatchObject({ code: "57014" });
        expect(performance.now() - started).toBeLessThan(1_500);
        expect((await behind).rows).toEqual([{ n: 20 }]);
        // Answered only once the stuck write ahead of it had been cancelled at the deadline.
        expect(behindAt).toBeGreaterThanOrEqual(deadline.abortedAt);
        await locker.query("ROLLBACK");
        expect((await admin.query<{ n: string }>("SELECT n FROM p WHERE id = 1")).rows).toEqual([{ n: "10" }]);
      } finally {
        await locker.end();
      }
    });
  });

  it("sends statements again that were counting on a Parse cancelled at its call's deadline", async () => {
    await withDb(1, async (db) => {
      await inCall(db).query("SELECT 1 AS warm", [], { name: "tf_pipe_warm" });
      const locker = new pg.Client({ connectionString: database.url });
      await locker.connect();
      try {
        await locker.query("BEGIN");
        await locker.query("LOCK TABLE p IN ACCESS EXCLUSIVE MODE");
        // Same new statement three times on one connection: the first carries its Parse, which waits on
        // the lock; the two behind it send only Bind, counting on that Parse.
        const sql = "SELECT n FROM p WHERE id = $1 /* pipe_parse */";
        const deadline = new CallDeadline(performance.now() + 200);
        const timer = setTimeout(() => deadline.abort(new Error("deadline")), 200);
        const first = db.during(deadline).query(sql, [1], { name: "tf_pipe_parse" }).catch((e: unknown) => e);
        const behind = [1, 2].map((id) => inCall(db).query<{ n: number }>(sql, [id], { name: "tf_pipe_parse" }).catch((e: unknown) => e));
        expect(await first).toMatchObject({ code: "57014" });
        clearTimeout(timer);
        await sleep(100);
        await locker.query("ROLLBACK");
        // Without the Parse they fail with 26000 (no such prepared statement); sent again, they are answered.
        const [one, two] = await Promise.all(behind);
        expect(one).toMatchObject({ rows: [{ n: 10 }] });
        expect(two).toMatchObject({ rows: [{ n: 20 }] });
      } finally {
        await locker.end();
      }
    });
  });

  it("reports a server that accepts the connection and never answers as a connection failure", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    const db = createPgDb({ url: `postgres://postgres@127.0.0.1:${port}/none`, poolSize: 1, pipelines: 1, connectionTimeoutMs: 300 });
    try {
      const err = await inCall(db)
        .query("SELECT 1", [], { name: "tf_pipe_silent" })
        .catch((e: unknown) => e);
      expect(isConnectionError(err)).toBe(true);
    } finally {
      await db.close();
      silent.close();
    }
  });

  it("sends a statement again when a cancel it did not ask for lands on it, and gives up after four", async () => {
    await withDb(1, async (db) => {
      const call = inCall(db);
      const once = call.query<{ v: number }>("SELECT pg_sleep(0.3)::text AS s, $1::int AS v /* pipe_once */", [5], { name: "tf_pipe_once" });
      const first = await running("pipe_once");
      await cancel(first.pid);
      // Cancelled and sent again: a second run begins.
      await running("pipe_once", first.began);
      expect((await once).rows[0]?.v).toBe(5);

      const often = call
        .query("SELECT pg_sleep(0.3)::text AS s, $1::int AS v /* pipe_often */", [6], { name: "tf_pipe_often" })
        .catch((e: unknown) => e);
      // Each run, once it has started, is cancelled: the first and four more.
      let began = "-infinity";
      for (let run = 0; run < 5; run++) {
        const now = await running("pipe_often", began);
        began = now.began;
        await cancel(now.pid);
      }
      expect(await often).toMatchObject({ code: "57014" });
    });
  });

});
