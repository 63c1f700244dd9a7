import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../bench/load/run-load.js";
import { startService, type StartedService } from "../../bench/load/service.js";
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
    const prof = mkdtempSync(join(tmpdir(), "twofold-bench-prof-"));
    // No warm-up: each TOTP user logs in once per 30 s step, so a warm-up can use up all 250 users
    // when the service is fast (500 logins/s would do it in 0.5 s) and leave the window no correct
    // proof to verify. With none, the window opens on 250 users with a fresh step each.
    run = await runBench<LoadReport>(["load", "--smoke", "--mix", "totp", "--wrong", "20", "--users", "250", "--warmup", "0", "--duration", "2", "--cpu-prof", prof], { html: false });
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

  it("reads the CPU per enrolled user of the server, its database's backends and the generator", () => {
    const c = run.report.enrolment.cpu;
    expect(c.serverMsPerUser).toBeGreaterThan(0);
    expect(c.postgresMsPerUser).toBeGreaterThan(0);
    expect(c.generatorMsPerUser).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/cpu per enrolled user: server \d[\d.]* ms, postgres \d[\d.]* ms, load generator \d[\d.]* ms/);
  });

  it("lists the server's top self-time functions from its CPU profile over the window", () => {
    const p = run.report.cpuProfile;
    expect(p?.busyMs).toBeGreaterThan(0);
    expect(p?.top.length).toBeGreaterThan(5);
    expect(p?.top[0]?.selfMs).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/server cpu profile .* top self time:/);
  });
});

describe("twofold-bench load --target with --server-pid and the target's database as DATABASE_URL", () => {
  let service: StartedService;
  let run: BenchRun<LoadReport>;
  beforeAll(async () => {
    if (serverUrl === undefined || serverUrl === "") throw new Error("DATABASE_URL must name a Postgres server for this test");
    service = await startService({ databaseUrl: serverUrl, workDir: mkdtempSync(join(tmpdir(), "twofold-bench-target-")) });
    if (service.database.kind !== "postgres") throw new Error("the service should run on Postgres");
    const args = ["load", "--smoke", "--mix", "totp", "--users", "120", "--duration", "2", "--no-ceilings"];
    const target = ["--target", service.target, "--api-key", service.apiKey, "--server-pid", String(service.child.pid)];
    run = await runBench<LoadReport>([...args, ...target], { html: false, env: { ...process.env, DATABASE_URL: service.database.url } });
  }, 180_000);
  afterAll(async () => {
    await service?.stop();
  });

  it("reads the target's CPU and its database backends' CPU per login, as for a service it starts", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.service.startedByBench).toBe(false);
    expect(run.report.logins.verified).toBeGreaterThan(0);
    expect(run.report.cpu.serverMsPerLogin).toBeGreaterThan(0);
    expect(run.report.cpu.postgresMsPerLogin).toBeGreaterThan(0);
    expect(run.report.enrolment.cpu.serverMsPerUser).toBeGreaterThan(0);
    expect(run.report.enrolment.cpu.postgresMsPerUser).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/cpu per login: server \d[\d.]* ms, postgres \d[\d.]* ms/);
  });
});

describe("the service the bench starts", () => {
  it("refuses a log level that hides the line the run waits for, instead of waiting for it", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "twofold-bench-level-"));
    await expect(startService({ databaseUrl: serverUrl, workDir, env: { TWOFOLD_LOG_LEVEL: "warn" } })).rejects.toThrow(
      /TWOFOLD_LOG_LEVEL=warn hides the service's "twofold serving" line/,
    );
  });
});
