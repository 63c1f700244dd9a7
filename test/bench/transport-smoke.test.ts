import { describe, expect, it } from "vitest";
import type { TransportReport } from "../../bench/transport/command.js";
import { hasProgressBar, runBench } from "./support/run-bench.js";

describe("twofold-bench transport --smoke", () => {
  it("loads each server with h2load and reports their rates and twofold's ratio to grpc-js", async () => {
    const run = await runBench<TransportReport>(["transport", "--smoke", "--no-assert"], { html: false });
    expect(run.code, run.stderr).toBe(0);
    const r = run.report;
    expect(Object.keys(r.servers).sort()).toEqual(["connect-node", "grpc-js", "twofold"]);
    for (const [name, s] of Object.entries(r.servers)) {
      expect(s.reqPerSec, name).toBeGreaterThan(0);
      expect(s.rounds[0]?.succeeded, name).toBeGreaterThan(0);
    }
    expect(r.failures).toBe(0);
    expect(Math.abs(r.ratio / ((r.servers["twofold"]?.reqPerSec ?? NaN) / (r.servers["grpc-js"]?.reqPerSec ?? NaN)) - 1)).toBeLessThan(0.01);
    expect(hasProgressBar(run.stdout)).toBe(false);
  }, 120_000);
});
