/**
 * Child process for pg-terminate.test.ts: opens a pool, has Postgres terminate
 * its backends in three situations (a client checked out between two
 * statements of a transaction, idle pooled clients, a statement running),
 * and prints what each caller saw as one JSON line. Exits 0 only if it
 * survived to the end.
 */
import pg from "pg";
import { createPgDb, isConnectionError } from "../../../src/store/pg.js";

const url = process.argv[2] ?? "";
const appName = `tf-terminate-${process.pid}`;
const db = createPgDb({ url: `${url}?application_name=${appName}`, poolSize: 3 });
const admin = new pg.Client({ connectionString: url });
await admin.connect();

async function terminate(): Promise<void> {
  await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [appName]);
}
const outcome = (err: unknown): string => (isConnectionError(err) ? "connection_error" : `other: ${String(err)}`);
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const inTransaction = await db
  .transaction(async (tx) => {
    await tx.query("SELECT 1");
    await terminate();
    await pause(200);
    await tx.query("SELECT 2");
    return "committed";
  })
  .catch(outcome);

await db.query("SELECT 1");
await terminate();
await pause(200);
const idleThenQuery = await db.query("SELECT 3 AS x").then((r) => r.rows, outcome);

// The outcome is taken at once, so the rejection is handled whenever it comes.
const running = db.query("SELECT pg_sleep(5)").then(() => "finished", outcome);
await pause(300);
await terminate();
const duringStatement = await running;

const afterwards = await db.query("SELECT 4 AS x").then((r) => r.rows, outcome);
await admin.end();
await db.close();
console.log(JSON.stringify({ inTransaction, idleThenQuery, duringStatement, afterwards }));
