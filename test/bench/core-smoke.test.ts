import { beforeAll, describe, expect, it } from "vitest";
import type { CoreReport } from "../../bench/core/run-core.js";
import { renderedReport } from "./support/chromium.js";
import { hasProgressBar, runBench, type BenchRun } from "./support/run-bench.js";

/** Ratios are of medians, both rounded to 4 significant digits in the report: equal within 1 %. */
function expectRatio(ratio: number | undefined, expected: number): void {
  expect(Math.abs((ratio ?? NaN) / expected - 1)).toBeLessThan(0.01);
}

describe("twofold-bench core --smoke", () => {
  let run: BenchRun<CoreReport>;
  beforeAll(async () => {
    run = await runBench<CoreReport>(["core", "--smoke"]);
  }, 120_000);

  const row = (name: string) => {
    const r = run.report.rows.find((x) => x.name === name);
    if (r === undefined) throw new Error(`no row ${name}`);
    return r;
  };

  it("measures every case with positive rates and a median no above its p99", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.rows.length).toBeGreaterThanOrEqual(30);
    for (const r of run.report.rows) {
      expect(r.opsPerSecond, r.name).toBeGreaterThan(0);
      expect(r.usPerOpMedian, r.name).toBeGreaterThan(0);
      expect(r.usPerOpP99, r.name).toBeGreaterThanOrEqual(r.usPerOpMedian);
    }
  });

  it("counts 21 HMACs for every TOTP outcome and 1011 for the HOTP window, equal within each same-work group", () => {
    for (const outcome of ["matching code", "wrong code", "wrong-length code", "unknown user (dummy key)"]) {
      expect(row(`TOTP SHA1, 6 digits: ${outcome}`).hmacsPerOp).toBe(21);
    }
    for (const alg of ["SHA1", "SHA256", "SHA512"]) for (const d of [6, 8]) expect(row(`TOTP ${alg}, ${d} digits: wrong code`).hmacsPerOp).toBe(21);
    expect(row("HOTP SHA1, 6 digits: wrong code").hmacsPerOp).toBe(1011);
    expect(run.report.constantWork.length).toBe(7);
    expect(run.report.constantWork.every((g) => g.ok)).toBe(true);
  });

  it("computes each case's ratio to its baselines from the same run", () => {
    for (const alg of ["SHA1", "SHA256", "SHA512"]) {
      for (const d of [6, 8]) {
        const r = row(`TOTP ${alg}, ${d} digits: wrong code`);
        const otplib = row(`otplib verifySync, ${alg}, ${d} digits, ±10 steps`);
        expectRatio(r.vsOtplib, otplib.usPerOpMedian / r.usPerOpMedian);
        expect(r.vsFloor).toBeGreaterThan(0);
      }
    }
    expect(row("HOTP SHA1, 6 digits: wrong code").vsFloor).toBeGreaterThan(0);
    expect(row("backup code: normalise + keyed hash").vsFloor).toBeGreaterThan(0);
    for (const alg of ["ES256", "EdDSA"]) {
      const ours = row(`WebAuthn assertion, ${alg}: twofold's check`);
      const lib = row(`@simplewebauthn/server verifyAuthenticationResponse, ${alg}`);
      expectRatio(ours.vsSimpleWebAuthn, lib.usPerOpMedian / ours.usPerOpMedian);
    }
  });

  it("prints the table without a progress bar when stdout is not a terminal", () => {
    expect(run.stdout).toMatch(/^core: \d+ cases interleaved/);
    expect(run.stdout).toMatch(/constant work, totp SHA1, 6 digits: HMACs per op 21, 21, 21, 21 — equal/);
    expect(hasProgressBar(run.stdout)).toBe(false);
  });

  describe("its HTML report, rendered in headless Chromium", () => {
    const openReport = renderedReport(() => run.htmlFile);

    it("draws a bar per case and the same-work distributions", async () => {
      const page = await openReport();
      await expect(page.locator('svg[data-chart="core-ops"] rect.bar').count()).resolves.toBe(run.report.rows.length);
      await expect(page.locator('svg[data-chart="core-distribution"][data-group="TOTP SHA1, 6 digits"] polyline.series').count()).resolves.toBe(4);
      const box = await page.locator('svg[data-chart="core-ops"]').boundingBox();
      expect(box?.height ?? 0).toBeGreaterThan(300);
    });
  });
});
