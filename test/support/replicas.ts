import type { AppDeps } from "../../src/app.js";
import { createPgDb } from "../../src/store/pg.js";
import type { TestApp } from "./app.js";
import { countingDb, type CountingDb } from "./counting-db.js";

/** Polls `check` every 20 ms until it holds or `ms` pass; how long it took, or undefined. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number | undefined> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await check()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/**
 * Two replicas of the service on the test app's database, each with a pool
 * of its own (counted, so a test sees each replica's statements) and the
 * app's other dependencies: the setup a change must cross through
 * LISTEN/NOTIFY (docs/operations.md "Replicas").
 */
export function twoReplicas(app: TestApp): { dbs: CountingDb[]; deps: AppDeps[] } {
  const dbs = [createPgDb({ url: app.dbUrl, poolSize: 2 }), createPgDb({ url: app.dbUrl, poolSize: 2 })].map(countingDb);
  return { dbs, deps: dbs.map((db) => ({ ...app.deps, db })) };
}
