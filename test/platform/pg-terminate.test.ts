import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

const script = fileURLToPath(new URL("./support/terminate-backends.ts", import.meta.url));

/**
 * A failover, a restart or an administrator ends the service's connections
 * (pg_terminate_backend). The pool must turn that into failed statements, never
 * into an unhandled 'error' event that ends the process. The pool runs in a
 * child process, so a crash shows as the child's exit status, not as this
 * test runner dying.
 */
describe("the Postgres backend when the server terminates its connections", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("fails the statements in flight as connection errors, keeps the process up and serves again", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", script, database.url], { encoding: "utf8", timeout: 30_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}")).toEqual({
      inTransaction: "connection_error",
      idleThenQuery: [{ x: 3 }],
      duringStatement: "connection_error",
      afterwards: [{ x: 4 }],
    });
  });
});
