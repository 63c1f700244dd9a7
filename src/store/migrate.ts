import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "./db.js";

/** Any constant shared by every replica; "twof" in ASCII. */
const MIGRATION_LOCK_KEY = 0x74776f66;

const NAME = /^(\d{3})_[a-z0-9_]+\.sql$/;

/**
 * The folder of `NNN_name.sql` files. Next to this module when run from src/
 * (tsx, vitest); tsc does not copy .sql into dist/, so the built module falls
 * back to `<package root>/src/store/migrations`.
 */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "migrations");
  if (existsSync(beside)) return beside;
  // dist/src/store -> package root
  const fromDist = join(here, "..", "..", "..", "src", "store", "migrations");
  if (existsSync(fromDist)) return fromDist;
  throw new Error(`migrations folder not found (looked in ${beside} and ${fromDist})`);
}

/** The migration files in the order they apply. */
export function listMigrations(dir: string = migrationsDir()): { name: string; sql: string }[] {
  return readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort()
    .map((f) => ({ name: f.slice(0, -".sql".length), sql: readFileSync(join(dir, f), "utf8") }));
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, in order,
 * in one transaction holding a transaction-scoped advisory lock: replicas
 * starting together queue on the lock, and the later ones find nothing to do.
 * Returns the names applied this time.
 */
export async function migrate(db: Db, dir?: string): Promise<string[]> {
  const migrations = listMigrations(dir);
  return db.transaction(async (tx) => {
    // A migration may legitimately outlast the per-request statement timeout, and so may waiting for the lock.
    await tx.exec("SET LOCAL statement_timeout = 0");
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name       text        PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = await tx.query<{ name: string }>("SELECT name FROM schema_migrations");
    const applied = new Set(done.rows.map((r) => r.name));
    const now: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (name) VALUES ($1)", [m.name]);
      now.push(m.name);
    }
    return now;
  });
}
