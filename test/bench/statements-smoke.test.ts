import { beforeAll, describe, expect, it } from "vitest";
import type { StatementsReport } from "../../bench/statements/run-statements.js";
import { runBench, type BenchRun } from "./support/run-bench.js";

/**
 * `twofold-bench statements --smoke`: the login's calls against a Postgres
 * cluster under callgrind. Instruction counts are repeatable, so the smoke
 * checks the shape of what it counted and the relations the login path's
 * design relies on, not seconds.
 */
describe("twofold-bench statements --smoke", () => {
  let run: BenchRun<StatementsReport>;
  beforeAll(async () => {
    run = await runBench<StatementsReport>(["statements", "--smoke", "--no-progress"], { html: false });
  }, 150_000);

  const phase = (name: string) => {
    const p = run.report.phases.find((x) => x.name === name);
    if (p === undefined) throw new Error(`no phase ${name}`);
    return p;
  };

  it("counts each kind of login call, with the statements the design allows", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.phases.map((p) => [p.name, p.statementsPerCall])).toEqual([
      ["Challenge (remembered)", 1],
      ["Verify, right code (remembered)", 1],
      ["Verify, wrong code (remembered)", 1],
      ["Challenge (not remembered)", 1],
      ["Verify, right code (not remembered)", 2],
    ]);
    expect(run.stdout).toMatch(/a login \(Challenge \+ Verify, remembered\): [\d,]+k instructions/);
  });

  it("measures every call above the compare-and-set it is compared with", () => {
    // A compare-and-set is one small UPDATE: tens of thousands of instructions, not none.
    expect(run.report.compareAndSet).toBeGreaterThan(10_000);
    for (const p of run.report.phases) expect(p.instructionsPerCall, p.name).toBeGreaterThan(run.report.compareAndSet);
  });

  it("finds the one-statement Verify cheaper for Postgres than the two statements it replaces", () => {
    expect(phase("Verify, right code (remembered)").instructionsPerCall).toBeLessThan(phase("Verify, right code (not remembered)").instructionsPerCall);
  });
});
