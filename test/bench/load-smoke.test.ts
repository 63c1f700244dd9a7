import { beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../bench/load/run-load.js";
import { renderedReport } from "./support/chromium.js";
import { hasProgressBar, runBench, type BenchRun } from "./support/run-bench.js";

/** The embedded store: no DATABASE_URL for the service the run starts. */
function embeddedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["DATABASE_URL"];
  return env;
}

describe("twofold-bench load --smoke against the embedded store", () => {
  let run: BenchRun<LoadReport>;
  beforeAll(async () => {
    run = await runBench<LoadReport>(["load", "--smoke"], { env: embeddedEnv() });
  }, 180_000);

  it("exits 0 with zero unexpected outcomes and statuses", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.logins.unexpected).toBe(0);
    expect(run.report.logins.unexpectedStatuses).toBe(0);
    for (const rpc of Object.values(run.report.rpcs)) expect(Object.keys(rpc.statuses)).toEqual(["OK"]);
  });

  it("verifies every emulated login: each correct proof verified, each wrong one refused as expected, for all five kinds", () => {
    const l = run.report.logins;
    expect(l.count).toBeGreaterThan(0);
    expect(l.verified + l.refusedAsExpected).toBe(l.count);
    expect(Object.keys(l.byKind).sort()).toEqual(["app-password", "backup-code", "hotp", "totp", "webauthn"]);
    for (const [kind, k] of Object.entries(l.byKind)) {
      expect(k.verified, `${kind} verified`).toBeGreaterThan(0);
      expect(k.verified + k.refusedAsExpected, kind).toBe(k.logins);
      expect(k.unexpected).toEqual({});
    }
    expect(l.refusedAsExpected).toBeGreaterThan(0);
  });

  it("reports rates, per-RPC latency percentiles and the transport ceiling with its ratio", () => {
    const r = run.report;
    expect(r.service.database).toBe("embedded");
    expect(r.logins.perSecond).toBeGreaterThan(0);
    for (const name of ["Challenge", "Verify", "VerifyAppPassword"]) {
      const s = r.rpcs[name]?.latencyMs.summary;
      expect(s?.count, name).toBeGreaterThan(0);
      expect(s?.p50).toBeGreaterThan(0);
      expect(s?.p99).toBeGreaterThanOrEqual(s?.p90 ?? Infinity);
      expect(s?.max).toBeGreaterThanOrEqual(s?.p99 ?? Infinity);
    }
    expect(r.ceilings.transport?.perSecond).toBeGreaterThan(0);
    expect(r.ceilings.transport?.failures).toBe(0);
    expect(Math.abs((r.ratios.toTransport ?? NaN) / (r.logins.perSecond / (r.ceilings.transport?.perSecond ?? NaN)) - 1)).toBeLessThan(0.01);
    // The embedded store takes no pg connection: the database ceiling says why it is absent.
    expect(r.ceilings.database).toBeUndefined();
    expect(r.ceilings.databaseNote).toMatch(/embedded/);
    expect(r.cpu.serverMsPerLogin).toBeGreaterThan(0);
    // Read from /proc (this suite runs on Linux, as CI does).
    const t = r.cpu.serverThread;
    expect(t?.runningShare).toBeGreaterThan(0);
    expect((t?.runningShare ?? 2) + (t?.waitingShare ?? 2)).toBeLessThanOrEqual(1.01);
    expect(run.stdout).toMatch(/server event loop: on a core \d+ %, runnable but waiting for a core \d+ %, asleep \d+ % of the window/);
    expect(r.timeline.logins.some((v) => v > 0)).toBe(true);
    expect(run.stdout).toMatch(/TOTP: a factor accepts each 30 s step once/);
  });

  it("prints no progress bar when stdout is not a terminal", () => {
    expect(hasProgressBar(run.stdout)).toBe(false);
    expect(run.stdout).toMatch(/^load: 8 logins in flight/);
  });

  describe("its HTML report, rendered in headless Chromium", () => {
    const openReport = renderedReport(() => run.htmlFile);

    it("draws a latency histogram and CDF per RPC and the throughput over time", async () => {
      const page = await openReport();
      for (const rpc of Object.keys(run.report.rpcs)) {
        for (const chart of ["latency-histogram", "latency-cdf"]) {
          const svg = page.locator(`svg[data-chart="${chart}"][data-rpc="${rpc}"]`);
          await expect(svg.count()).resolves.toBe(1);
          const box = await svg.boundingBox();
          expect(box?.width ?? 0).toBeGreaterThan(100);
        }
        await expect(page.locator(`svg[data-chart="latency-histogram"][data-rpc="${rpc}"] rect.bar`).count()).resolves.toBeGreaterThan(3);
        await expect(page.locator(`svg[data-chart="latency-cdf"][data-rpc="${rpc}"] polyline.series`).count()).resolves.toBe(1);
      }
      await expect(page.locator('svg[data-chart="throughput"] polyline.series').count()).resolves.toBe(1);
      await expect(page.locator('svg[data-chart="login-cdf"] polyline.series').count()).resolves.toBe(5);
    });

    it("shows the CPU per login and the server's event-loop thread", async () => {
      const page = await openReport();
      const table = page.locator("table", { hasText: "waiting for a core" });
      await expect(table.count()).resolves.toBe(1);
      const running = Math.round((run.report.cpu.serverThread?.runningShare ?? NaN) * 100);
      await expect(table.innerText()).resolves.toContain(`${running} %`);
    });
  });
});
