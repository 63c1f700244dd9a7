import { beforeAll, describe, expect, it } from "vitest";
import type { TimingReport } from "../../bench/timing/run-timing.js";
import { renderedReport } from "./support/chromium.js";
import { hasProgressBar, runBench, type BenchRun } from "./support/run-bench.js";

const REAL_PAIRS = 5;

describe("twofold-bench timing --smoke", () => {
  let run: BenchRun<TimingReport>;
  beforeAll(async () => {
    run = await runBench<TimingReport>(["timing", "--smoke"]);
  }, 120_000);

  it("detects the positive control with |t| > 10", () => {
    const control = run.report.pairs.filter((p) => p.control);
    expect(control.length).toBe(1);
    expect(control[0]?.result.maxT).toBeGreaterThan(10);
    expect(control[0]?.verdict).toBe("control detected");
    expect(run.report.controlDetected).toBe(true);
    expect(run.report.verdict).not.toBe("void");
  });

  it("tests every real class pair with enough measurements and exits by the 4.5 threshold", () => {
    const real = run.report.pairs.filter((p) => !p.control);
    expect(real.map((p) => p.name)).toEqual([
      "TOTP: matching vs wrong code",
      "TOTP: wrong code differing in the first vs the last digit",
      "TOTP: known user vs unknown user (dummy key)",
      "TOTP: wrong-length vs right-length wrong code",
      "backup code: sharing a 15-symbol prefix with a real code vs none",
    ]);
    expect(real.length).toBe(REAL_PAIRS);
    for (const p of real) {
      expect(p.result.n[0] + p.result.n[1], p.name).toBe(2 * 5000);
      expect(Number.isFinite(p.result.maxT), p.name).toBe(true);
      expect(p.verdict === "leak", p.name).toBe(p.result.maxT > 4.5);
      expect(p.medianNs[0]).toBeGreaterThan(0);
    }
    expect(run.code).toBe(run.report.leakFound ? 1 : 0);
  });

  it("prints no progress bar when stdout is not a terminal", () => {
    expect(run.stdout).toMatch(/^timing: 5,000 measurements per class and pair/);
    expect(hasProgressBar(run.stdout)).toBe(false);
  });

  describe("its HTML report, rendered in headless Chromium", () => {
    const openReport = renderedReport(() => run.htmlFile);

    it("draws both classes' distributions for every pair", async () => {
      const page = await openReport();
      const charts = page.locator('svg[data-chart="timing-classes"]');
      await expect(charts.count()).resolves.toBe(REAL_PAIRS + 1);
      for (const p of run.report.pairs) {
        await expect(page.locator(`svg[data-chart="timing-classes"][data-pair="${p.name}"] polyline.series`).count()).resolves.toBe(2);
      }
    });
  });
});

describe("twofold-bench timing with a leaky core injected", () => {
  it("fails the run: the naive verifier's early exits show in the matching and wrong-length pairs", async () => {
    const run = await runBench<TimingReport>(["timing", "--smoke", "--samples", "2000", "--inject-leak"], { html: false });
    expect(run.code).toBe(1);
    expect(run.report.settings.injectedLeak).toBe(true);
    expect(run.report.verdict).toBe("leak");
    const verdict = (name: string) => run.report.pairs.find((p) => p.name === name)?.verdict;
    expect(verdict("TOTP: matching vs wrong code")).toBe("leak");
    expect(verdict("TOTP: wrong-length vs right-length wrong code")).toBe("leak");
    expect(run.stdout).toMatch(/verdict: LEAK FOUND/);
  }, 120_000);
});
