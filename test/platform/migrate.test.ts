import { afterAll, describe, expect, it } from "vitest";
import { listMigrations, migrate } from "../../src/store/migrate.js";
import { createPgDb } from "../../src/store/pg.js";
import type { Db } from "../../src/store/db.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

const allNames = listMigrations().map((m) => m.name);

async function fresh(): Promise<{ database: TestDatabase; db: Db }> {
  const database = await createTestDatabase();
  return { database, db: createPgDb({ url: database.url, poolSize: 4 }) };
}

describe("migrations on a Postgres server", () => {
  // Each test migrates a database of its own, so they hold in any order.
  const opened: { database: TestDatabase; db: Db }[] = [];
  async function own(): Promise<Db> {
    const f = await fresh();
    opened.push(f);
    return f.db;
  }
  afterAll(async () => {
    for (const { database, db } of opened) {
      await db.close();
      await database.drop();
    }
  });

  it("finds the migration files in order, starting with the foundation", () => {
    expect(allNames[0]).toBe("001_foundation");
    expect([...allNames].sort()).toEqual(allNames);
  });

  it("applies every migration to an empty database", async () => {
    const db = await own();
    expect(await migrate(db)).toEqual(allNames);
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["api_keys", "factors", "login_transactions", "throttles", "audit_events", "schema_migrations"]),
    );
  });

  it("gives the tables every login writes only the indexes their reads use", async () => {
    const db = await own();
    await migrate(db);
    const indexes = await db.query<{ table: string; def: string }>(
      `SELECT tablename AS table, regexp_replace(indexdef, '^.* USING btree ', '') AS def FROM pg_indexes
       WHERE schemaname = 'public' AND tablename IN ('login_transactions', 'audit_events') ORDER BY tablename, indexname`,
    );
    expect(indexes.rows).toEqual([
      { table: "audit_events", def: "(id)" },
      { table: "audit_events", def: "(tenant_id, tx_id, id)" },
      { table: "audit_events", def: "(tenant_id, user_id, tx_id, id)" },
      { table: "login_transactions", def: "(tenant_id, id)" },
    ]);
  });

  it("keeps the value sets of factors and transactions as domains, so the login's updates evaluate no CHECK", async () => {
    const db = await own();
    await migrate(db);
    const checks = await db.query<{ table: string; n: number }>(
      `SELECT conrelid::regclass::text AS table, count(*)::int AS n FROM pg_constraint
       WHERE contype = 'c' AND conrelid IN ('factors'::regclass, 'login_transactions'::regclass) GROUP BY 1`,
    );
    expect(checks.rows).toEqual([]);
    const refused = (sql: string, params: unknown[]) =>
      db.query(sql, params).then(
        () => "accepted",
        (err: { code?: string }) => err.code,
      );
    const factor = `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, algorithm, digits, period_seconds)
      VALUES ('t', 'u', gen_random_uuid(), $1, 'Phone', $2, now(), $3, $4, $5)`;
    expect(await refused(factor, ["totp", "active", "SHA1", 6, 30])).toBe("accepted");
    expect(await refused(factor, ["sms", "active", "SHA1", 6, 30])).toBe("23514");
    expect(await refused(factor, ["totp", "disabled", "SHA1", 6, 30])).toBe("23514");
    expect(await refused(factor, ["totp", "active", "MD5", 6, 30])).toBe("23514");
    expect(await refused(factor, ["totp", "active", "SHA1", 7, 30])).toBe("23514");
    expect(await refused(factor, ["totp", "active", "SHA1", 6, 45])).toBe("23514");
    expect(await refused("UPDATE factors SET digits = 9", [])).toBe("23514");
    const transaction = `INSERT INTO login_transactions (tenant_id, user_id, id, purpose, created_at, expires_at)
      VALUES ('t', 'u', gen_random_uuid(), $1, now(), now())`;
    expect(await refused(transaction, ["passwordless"])).toBe("accepted");
    expect(await refused(transaction, ["recovery"])).toBe("23514");
    const rows = await db.query<{ digits: number; period_seconds: number }>("SELECT digits, period_seconds FROM factors");
    // A domain column reaches the client as its base type.
    expect(rows.rows).toEqual([{ digits: 6, period_seconds: 30 }]);
  });

  it("applies nothing the second time", async () => {
    const db = await own();
    expect(await migrate(db)).toEqual(allNames);
    expect(await migrate(db)).toEqual([]);
    const recorded = await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
    expect(recorded.rows.map((r) => r.name)).toEqual(allNames);
  });
});

describe("migrations started together", () => {
  it("apply each migration once when two replicas migrate the same database at once", async () => {
    const { database, db } = await fresh();
    const other = createPgDb({ url: database.url, poolSize: 2 });
    try {
      const [a, b] = await Promise.all([migrate(db), migrate(other)]);
      expect([...a, ...b].sort()).toEqual([...allNames].sort());
      const recorded = await db.query<{ name: string; n: number }>(
        "SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name ORDER BY name",
      );
      expect(recorded.rows).toEqual(allNames.map((name) => ({ name, n: 1 })));
    } finally {
      await other.close();
      await db.close();
      await database.drop();
    }
  });
});
