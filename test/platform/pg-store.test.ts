import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDb, isConnectionError } from "../../src/store/pg.js";
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
