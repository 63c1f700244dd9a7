import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { lockEmbeddedDir } from "../../src/store/embedded-lock.js";
import { listMigrations, migrate } from "../../src/store/migrate.js";
import { openDb } from "../../src/store/open.js";
import type { Db } from "../../src/store/db.js";

/**
 * One PGlite data folder for the file: creating one (initdb in WASM) takes
 * seconds. beforeAll migrates it (twice) and writes rows k1 and k2, which the
 * tests only read, so they hold in any order.
 */
describe("the embedded backend (PGlite)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "twofold-embedded-"));
  let db: Db;
  let applied: string[][] = [];

  beforeAll(async () => {
    db = await openDb({ databaseUrl: undefined, dataDir, dbPoolSize: 1, dbPipelines: 0, requestTimeoutMs: 10_000 });
    applied = [await migrate(db), await migrate(db)];
    await db.query(
      `INSERT INTO api_keys (tenant_id, id, role, name, key_hash, created_at)
       VALUES ('acme', 'k1', 'admin', 'kept', $1, $2), ('acme', 'k2', 'service', 'x', $3, $2)`,
      [Buffer.from([1, 2, 3]), new Date("2026-01-02T03:04:05Z"), Buffer.from([4])],
    );
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is chosen when no DATABASE_URL is set", () => {
    expect(db.kind).toBe("embedded");
  });

  it("runs the same migration set, once", () => {
    expect(applied).toEqual([listMigrations().map((m) => m.name), []]);
  });

  it("decodes values as the pg backend does and reports affected rows", async () => {
    const ins = await db.query(
      `INSERT INTO api_keys (tenant_id, id, role, name, key_hash, created_at)
       VALUES ('decode', 'd1', 'admin', 'a', $1, $2), ('decode', 'd2', 'service', '', $3, $2)`,
      [Buffer.from([7, 8, 9]), new Date("2026-01-02T03:04:05Z"), Buffer.from([10])],
    );
    expect(ins.rowCount).toBe(2);
    const r = await db.query<{ key_hash: Buffer; created_at: Date; n: number }>(
      "SELECT key_hash, created_at, 5::bigint AS n FROM api_keys WHERE tenant_id = 'decode' AND id = 'd1'",
    );
    expect(Buffer.isBuffer(r.rows[0]?.key_hash)).toBe(true);
    expect(r.rows[0]?.key_hash.equals(Buffer.from([7, 8, 9]))).toBe(true);
    expect(r.rows[0]?.created_at).toEqual(new Date("2026-01-02T03:04:05Z"));
    expect(r.rows[0]?.n).toBe(5);
    const upd = await db.query("UPDATE api_keys SET name = 'x' WHERE tenant_id = 'decode' AND id = 'd2' AND name = ''");
    expect(upd.rowCount).toBe(1);
  });

  it("rolls a failed transaction back", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("UPDATE api_keys SET name = 'lost' WHERE tenant_id = 'acme' AND id = 'k1'");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const r = await db.query<{ name: string }>("SELECT name FROM api_keys WHERE tenant_id = 'acme' AND id = 'k1'");
    expect(r.rows[0]?.name).toBe("kept");
  });

  it("refuses a second opener while the folder is in use", async () => {
    await expect(openEmbeddedDb(dataDir)).rejects.toThrow("already open");
  });

  it("keeps its data across a close and reopen", async () => {
    await db.close();
    db = await openEmbeddedDb(dataDir);
    const r = await db.query<{ id: string; name: string }>("SELECT id, name FROM api_keys WHERE tenant_id = 'acme' ORDER BY id");
    expect(r.rows).toEqual([
      { id: "k1", name: "kept" },
      { id: "k2", name: "x" },
    ]);
    expect(await migrate(db)).toEqual([]);
  }, 60_000);
});

describe("the embedded database lock", () => {
  it("refuses a folder another live process holds, and takes over one a dead process left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "twofold-lock-"));
    try {
      // Our parent is alive and is not us.
      writeFileSync(join(dir, "embedded.lock"), `${process.ppid}\n`);
      expect(() => lockEmbeddedDir(dir)).toThrow(`in use by process ${process.ppid}`);
      // A pid that cannot exist.
      writeFileSync(join(dir, "embedded.lock"), "2147483646\n");
      const unlock = lockEmbeddedDir(dir);
      unlock();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
