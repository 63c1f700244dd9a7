import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../bench/load/run-load.js";
import { runBench, type BenchRun } from "./support/run-bench.js";

const serverUrl = process.env["DATABASE_URL"];

async function benchDatabases(): Promise<string[]> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'twofold_bench_%'")).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

describe("twofold-bench load --smoke on Postgres (DATABASE_URL), with --cpu-prof", () => {
  let run: BenchRun<LoadReport>;
  let before: string[];
  beforeAll(async () => {
    if (serverUrl === undefined || serverUrl === "") throw new Error("DATABASE_URL must name a Postgres server for this test");
    before = await benchDatabases();
    const { mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const prof = mkdtempSync(join(tmpdir(), "twofold-bench-prof-"));
    run = await runBench<LoadReport>(["load", "--smoke", "--mix", "totp", "--wrong", "20", "--users", "250", "--warmup", "0.5", "--duration", "2", "--cpu-prof", prof], { html: false });
  }, 180_000);

  it("runs the logins in a fresh database of its own and drops it afterwards", async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.service.database).toBe("postgres");
    expect(run.report.logins.unexpected).toBe(0);
    expect(run.report.logins.verified).toBeGreaterThan(0);
    expect(run.report.logins.refusedAsExpected).toBeGreaterThan(0);
    const after = await benchDatabases();
    expect(after.filter((d) => !before.includes(d))).toEqual([]);
  });

  it("measures the compare-and-set ceiling on that database and both ratios", () => {
    const r = run.report;
    const db = r.ceilings.database;
    expect(db?.perSecond).toBeGreaterThan(0);
    expect(db?.failures).toBe(0);
    expect(db?.rpcs["compare-and-set"]?.count).toBe(db?.operations);
    expect(Math.abs((r.ratios.toDatabase ?? NaN) / (r.logins.perSecond / (db?.perSecond ?? NaN)) - 1)).toBeLessThan(0.01);
    expect(r.ratios.toTransport).toBeGreaterThan(0);
    expect(r.cpu.postgresMsPerLogin).toBeGreaterThan(0);
  });

  it("lists the server's top self-time functions from its CPU profile over the window", () => {
    const p = run.report.cpuProfile;
    expect(p?.busyMs).toBeGreaterThan(0);
    expect(p?.top.length).toBeGreaterThan(5);
    expect(p?.top[0]?.selfMs).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/server cpu profile .* top self time:/);
  });
});
