import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallDeadline } from "../../src/store/call-deadline.js";
import type { Db } from "../../src/store/db.js";
import { createPgDb } from "../../src/store/pg.js";
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

  it("answers each of 300 concurrent named statements with its own row, on at most two connections", async () => {
    await withDb(2, async (db) => {
      const values = Array.from({ length: 300 }, (_, i) => i);
      const rows = await Promise.all(values.map((v) => db.query<{ v: number }>("SELECT $1::int AS v", [v], { name: "tf_pipe_echo" })));
      expect(rows.map((r) => r.rows[0]?.v)).toEqual(values);
      const conns = await admin.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'twofold'",
      );
      expect(Number(conns.rows[0]?.n)).toBeLessThanOrEqual(2);
    });
  });

  it("cancels a write stuck on a row lock at its deadline, changing nothing, and answers the statement behind it", async () => {
    await withDb(1, async (db) => {
      const locker = new pg.Client({ connectionString: database.url });
      await locker.connect();
      try {
        await locker.query("BEGIN");
        await locker.query("SELECT 1 FROM p WHERE id = 1 FOR UPDATE");
        const deadline = new CallDeadline(performance.now() + 200);
        const timer = setTimeout(() => deadline.abort(new Error("deadline")), 200);
        const started = performance.now();
        const stuck = db
          .during(deadline)
          .query("UPDATE p SET n = n + 1 WHERE id = $1 RETURNING n /* pipe_stuck */", [1], { name: "tf_pipe_stuck" })
          .catch((e: unknown) => e);
        // Sent after the stuck one, on the only pipeline: it waits behind it, then runs.
        const behind = db.query<{ n: number }>("SELECT n FROM p WHERE id = $1", [2], { name: "tf_pipe_behind" });
        const err = await stuck;
        clearTimeout(timer);
        expect(err).toMatchObject({ code: "57014" });
        expect(performance.now() - started).toBeLessThan(1_500);
        expect((await behind).rows).toEqual([{ n: 20 }]);
        await locker.query("ROLLBACK");
        expect((await admin.query<{ n: string }>("SELECT n FROM p WHERE id = 1")).rows).toEqual([{ n: "10" }]);
      } finally {
        await locker.end();
      }
    });
  });

  it("sends a statement again when a cancel it did not ask for lands on it, and gives up after four", async () => {
    await withDb(1, async (db) => {
      const once = db.query<{ v: number }>("SELECT pg_sleep(0.3)::text AS s, $1::int AS v /* pipe_once */", [5], { name: "tf_pipe_once" });
      await cancel((await running("pipe_once")).pid);
      expect((await once).rows[0]?.v).toBe(5);

      const often = db
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
