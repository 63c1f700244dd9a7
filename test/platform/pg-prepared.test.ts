import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryPrepared } from "../../src/store/pg-prepared.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

/** Counts the messages of one kind the client's connection receives. */
function counter(client: pg.Client, message: string): () => number {
  let n = 0;
  (client as unknown as { connection: NodeJS.EventEmitter }).connection.on(message, () => n++);
  return () => n;
}

/** How many row descriptions the client received: one per Describe of a statement that returns rows. */
const descriptions = (client: pg.Client): (() => number) => counter(client, "rowDescription");

describe("named statements described once per connection", () => {
  let database: TestDatabase;
  let client: pg.Client;
  let described: () => number;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query("CREATE TABLE p (id int PRIMARY KEY, n bigint, at timestamptz, b bytea)");
    await client.query("INSERT INTO p VALUES (1, 10, '2026-01-02T03:04:05Z', '\\x0102'), (2, NULL, NULL, NULL)");
    described = descriptions(client);
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it("asks for the row description on the first run only, and decodes every later run alike", async () => {
    const sql = "SELECT id, n, at, b FROM p WHERE id = ANY($1::int[]) ORDER BY id";
    const before = described();
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await queryPrepared(client, "pp_select", sql, [[1, 2]]));
    expect(described() - before).toBe(1);
    for (const r of runs) {
      expect(r.rowCount).toBe(2);
      expect(r.rows).toEqual([
        { id: 1, n: "10", at: new Date("2026-01-02T03:04:05Z"), b: Buffer.from([1, 2]) },
        { id: 2, n: null, at: null, b: null },
      ]);
    }
    // The same statement with other values: still no description, rows of the same shape.
    const one = await queryPrepared(client, "pp_select", sql, [[2]]);
    expect(described() - before).toBe(1);
    expect(one.rows).toEqual([{ id: 2, n: null, at: null, b: null }]);
  });

  it("runs a statement without rows repeatedly, describing it once, and reports its row count", async () => {
    const sql = "UPDATE p SET n = $1::bigint WHERE id = 2";
    // A statement without rows answers Describe with NoData.
    const noData = counter(client, "noData");
    for (const n of [5, 6, 7]) expect((await queryPrepared(client, "pp_update", sql, [n])).rowCount).toBe(1);
    expect(noData()).toBe(1);
    const r = await client.query<{ n: string }>("SELECT n FROM p WHERE id = 2");
    expect(r.rows[0]?.n).toBe("7");
  });

  it("describes again after a run that failed, and the connection stays usable", async () => {
    const sql = "SELECT 10 / $1::int AS q";
    expect((await queryPrepared(client, "pp_divide", sql, [2])).rows).toEqual([{ q: 5 }]);
    await expect(queryPrepared(client, "pp_divide", sql, [0])).rejects.toMatchObject({ code: "22012" });
    const before = described();
    expect((await queryPrepared(client, "pp_divide", sql, [5])).rows).toEqual([{ q: 2 }]);
    expect(described() - before).toBe(1);
    expect((await queryPrepared(client, "pp_divide", sql, [1])).rows).toEqual([{ q: 10 }]);
    expect(described() - before).toBe(1);
  });

  it("rejects a value that cannot be sent on a statement's first run, and the statement still runs after", async () => {
    const sql = "SELECT $1::text || '!' AS v";
    const unsendable = { toPostgres: () => { throw new Error("not sendable"); } };
    await expect(queryPrepared(client, "pp_first_value", sql, [unsendable])).rejects.toThrow("not sendable");
    expect((await queryPrepared(client, "pp_first_value", sql, ["a"])).rows).toEqual([{ v: "a!" }]);
    expect((await queryPrepared(client, "pp_first_value", sql, ["b"])).rows).toEqual([{ v: "b!" }]);
  });

  it("rejects a value that cannot be sent without breaking the connection", async () => {
    const sql = "SELECT $1::text AS v";
    expect((await queryPrepared(client, "pp_value", sql, ["a"])).rows).toEqual([{ v: "a" }]);
    const unsendable = { toPostgres: () => { throw new Error("not sendable"); } };
    await expect(queryPrepared(client, "pp_value", sql, [unsendable])).rejects.toThrow("not sendable");
    expect((await queryPrepared(client, "pp_value", sql, ["b"])).rows).toEqual([{ v: "b" }]);
  });

  it("describes again on a connection that has not run the statement", async () => {
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      const otherDescribed = descriptions(other);
      const sql = "SELECT count(*)::int AS c FROM p";
      await queryPrepared(client, "pp_count", sql, []);
      for (let i = 0; i < 2; i++) expect((await queryPrepared(other, "pp_count", sql, [])).rows).toEqual([{ c: 2 }]);
      expect(otherDescribed()).toBe(1);
    } finally {
      await other.end();
    }
  });
});
