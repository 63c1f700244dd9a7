import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDb, isConnectionError } from "../../src/store/pg.js";
import { asyncCommitColumn } from "../../src/store/statement.js";
import type { Db } from "../../src/store/db.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

describe("the Postgres backend", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPgDb({ url: database.url, poolSize: 3, statementTimeoutMs: 500 });
    await db.exec("CREATE TABLE t (id int PRIMARY KEY, n bigint NOT NULL, b bytea); INSERT INTO t VALUES (1, 10, '\\x0102');");
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** Runs `fn` on a pool of one connection, so every statement it sends runs where the one before did. */
  async function onOneConnection(fn: (single: Db) => Promise<void>): Promise<void> {
    const single = createPgDb({ url: database.url, poolSize: 1 });
    try {
      await fn(single);
    } finally {
      await single.close();
    }
  }

  it("decodes bigint as a number and bytea as a Buffer, as the embedded backend does", async () => {
    const r = await db.query<{ n: number; b: Buffer }>("SELECT n, b FROM t WHERE id = 1");
    expect(r.rows[0]?.n).toBe(10);
    expect(r.rows[0]?.b.equals(Buffer.from([1, 2]))).toBe(true);
  });

  it("commits a transaction on one connection", async () => {
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t (id, n) VALUES (2, 20)");
      // Same connection: the row is visible inside before COMMIT.
      const r = await tx.query("SELECT 1 FROM t WHERE id = 2");
      expect(r.rowCount).toBe(1);
    });
    expect((await db.query("SELECT 1 FROM t WHERE id = 2")).rowCount).toBe(1);
  });

  it("rolls a transaction back when its function throws", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("UPDATE t SET n = 99 WHERE id = 1");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await db.query<{ n: number }>("SELECT n FROM t WHERE id = 1")).rows[0]?.n).toBe(10);
  });

  it("plans prepared statements once (generic plans) on every pooled connection", async () => {
    const r = await db.query<{ plan_cache_mode: string }>("SHOW plan_cache_mode");
    expect(r.rows[0]?.plan_cache_mode).toBe("force_generic_plan");
  });

  it("turns synchronous commit off for the one statement that asks, never for the connection", async () => {
    await onOneConnection(async (single) => {
      const r = await single.query<{ h_async_commit: string; inside: string }>(
        `WITH w AS (UPDATE t SET n = n WHERE id = 1 RETURNING n) SELECT (SELECT current_setting('synchronous_commit')) AS inside, ${asyncCommitColumn()} FROM w`,
      );
      expect(r.rows[0]).toEqual({ inside: "on", h_async_commit: "off" });
      const after = await single.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
      expect(after.rows[0]?.synchronous_commit).toBe("on");
    });
  });

  it("keeps the connection's own commit setting when the statement's condition asks for a durable commit", async () => {
    await onOneConnection(async (single) => {
      // A setting other than the default, so keeping it is told apart from turning it on.
      await single.query("SET synchronous_commit = remote_write");
      const column = asyncCommitColumn("EXISTS (SELECT 1 FROM w WHERE n > $1::bigint)");
      const sql = `WITH w AS (UPDATE t SET n = n WHERE id = 1 RETURNING n) SELECT ${column} FROM w`;
      const durable = await single.query<{ h_async_commit: string }>(sql, [0]);
      expect(durable.rows[0]?.h_async_commit).toBe("remote_write");
      const lazy = await single.query<{ h_async_commit: string }>(sql, [1_000]);
      expect(lazy.rows[0]?.h_async_commit).toBe("off");
      const after = await single.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
      expect(after.rows[0]?.synchronous_commit).toBe("remote_write");
    });
  });

  it("moves to a fresh connection when a named statement's tables changed shape under it", async () => {
    await onOneConnection(async (single) => {
      await single.exec("CREATE TABLE reshaped (id int PRIMARY KEY); INSERT INTO reshaped VALUES (1)");
      const run = () => single.query<{ id: number }>("SELECT * FROM reshaped", [], { name: "tf_reshaped" });
      expect((await run()).rows).toEqual([{ id: 1 }]);
      await single.exec("ALTER TABLE reshaped ADD COLUMN extra int");
      // Postgres refuses the plan prepared for the old columns; the connection holding it is discarded.
      await expect(run()).rejects.toMatchObject({ code: "0A000" });
      expect((await run()).rows).toEqual([{ id: 1, extra: null }]);
    });
  });

  it("cancels a statement that runs past the statement timeout", async () => {
    await expect(db.query("SELECT pg_sleep(2)")).rejects.toMatchObject({ code: "57014" });
  });

  it("passes connection failures through so the rpc layer can answer UNAVAILABLE", async () => {
    const down = createPgDb({ url: "postgres://postgres@127.0.0.1:1/none", poolSize: 1, connectionTimeoutMs: 2_000 });
    const err = await down.query("SELECT 1").catch((e: unknown) => e);
    await down.close();
    expect(isConnectionError(err)).toBe(true);
    expect(isConnectionError(new Error("syntax"))).toBe(false);
  });

  it("marks waiting too long for a pooled connection as a connection failure", async () => {
    const small = createPgDb({ url: database.url, poolSize: 1, connectionTimeoutMs: 200 });
    let release: () => void = () => {};
    const held = small.transaction(() => new Promise<void>((r) => (release = r)));
    try {
      const err = await small.query("SELECT 1").catch((e: unknown) => e);
      expect(isConnectionError(err)).toBe(true);
      const txErr = await small.transaction(async () => 1).catch((e: unknown) => e);
      expect(isConnectionError(txErr)).toBe(true);
    } finally {
      release();
      await held;
      await small.close();
    }
  });
});
