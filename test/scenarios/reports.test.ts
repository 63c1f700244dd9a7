import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../emulator/scenarios/catalogue.js";
import { jsonReport } from "../../emulator/scenarios/report-json.js";
import { junitReport, xmlEscape } from "../../emulator/scenarios/report-junit.js";
import { parseRunArgs } from "../../emulator/scenarios/run-command.js";
import { runScenarios } from "../../emulator/scenarios/runner.js";
import { formatTable } from "../../emulator/scenarios/table.js";
import type { RunReport, Scenario } from "../../emulator/scenarios/types.js";
import { helpText } from "../../emulator/cli.js";

const REPORT: RunReport = {
  target: "127.0.0.1:50051",
  startedAt: "2026-11-28T18:00:00.000Z",
  results: [
    { name: "replayed-code-refused", status: "passed", durationMs: 412, detail: "second use refused REPLAYED" },
    { name: "mail-client-app-password", status: "failed", durationMs: 1500, error: `caldav was accepted <"scope" & 'role'>` },
  ],
};

/** A runner target nothing listens on: these scenarios never call the service. */
const NOWHERE = { target: "127.0.0.1:9", apiKey: "tf_key_secret_value" };

describe("the run's table and reports", () => {
  it("aligns the table's columns and ends with a summary", () => {
    const lines = formatTable(REPORT).split("\n");
    expect(lines[0]).toBe("scenario                 | result | duration | detail");
    expect(lines[2]).toBe("replayed-code-refused    | PASS   | 0.41 s   | second use refused REPLAYED");
    expect(lines[3]).toBe(`mail-client-app-password | FAIL   | 1.50 s   | caldav was accepted <"scope" & 'role'>`);
    expect(lines[5]).toBe("1 passed, 1 failed, 1.91 s against 127.0.0.1:50051");
  });

  it("escapes failure messages in the JUnit XML", () => {
    const xml = junitReport(REPORT);
    expect(xml).toContain(`<testsuite name="twofold-emulator" tests="2" failures="1" errors="0" time="1.912"`);
    expect(xml).toContain(`<testcase classname="scenario" name="replayed-code-refused" time="0.412"/>`);
    expect(xml).toContain(`<failure message="caldav was accepted &lt;&quot;scope&quot; &amp; &apos;role&apos;&gt;">`);
    expect(xmlEscape("a\u0000b\u001bc")).toBe("abc");
  });

  it("writes the JSON report's documented shape", () => {
    expect(JSON.parse(jsonReport(REPORT))).toEqual({
      target: "127.0.0.1:50051",
      startedAt: "2026-11-28T18:00:00.000Z",
      results: [
        { name: "replayed-code-refused", status: "passed", durationMs: 412 },
        { name: "mail-client-app-password", status: "failed", durationMs: 1500, error: `caldav was accepted <"scope" & 'role'>` },
      ],
    });
  });
});

describe("the runner", () => {
  it("fails a scenario that runs out of time, and goes on with the next", async () => {
    const stuck: Scenario = { name: "stuck", description: "never ends", run: (ctx) => ctx.sleep(60_000) };
    const quick: Scenario = { name: "quick", description: "ends", run: () => Promise.resolve() };
    const report = await runScenarios({ ...NOWHERE, catalogue: [stuck, quick], timeoutMs: 50 });
    expect(report.results.map((r) => [r.name, r.status, r.error])).toEqual([
      ["stuck", "failed", "timed out after 0.05 s"],
      ["quick", "passed", undefined],
    ]);
  });

  it("scrubs codes the scenario handled and the API key from its messages", async () => {
    const leaky: Scenario = {
      name: "leaky",
      description: "fails naming its secrets",
      run: (ctx) => {
        const code = ctx.secret("314159");
        return Promise.reject(new Error(`code ${code} with key ${NOWHERE.apiKey}`));
      },
    };
    const report = await runScenarios({ ...NOWHERE, catalogue: [leaky] });
    expect(report.results[0]?.error).toBe("Error: code [redacted] with key [redacted]");
  });

  it("gives every scenario a user id of its own", async () => {
    const seen: string[] = [];
    const record: Scenario = { name: "record", description: "records its user", run: (ctx) => Promise.resolve(void seen.push(ctx.userId)) };
    await runScenarios({ ...NOWHERE, catalogue: [record], scenarios: ["record", "record"] });
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
  });
});

describe("run's arguments", () => {
  it("takes several scenario names after one --scenario, repeated, or comma-separated", () => {
    const parsed = parseRunArgs(
      ["--target", "h:1", "--api-key", "k", "--scenario", "drift-70s-late", "fido-u2f-login", "--scenario=replayed-code-refused,hotp-desync-resync"],
      {},
    );
    expect(parsed.ok && parsed.options.scenarios).toEqual(["drift-70s-late", "fido-u2f-login", "replayed-code-refused", "hotp-desync-resync"]);
  });

  it("refuses a report file that is neither .json nor .xml, and unknown options", () => {
    expect(parseRunArgs(["--target", "h:1", "--api-key", "k", "--report", "out.txt"], {})).toEqual({
      ok: false,
      error: "--report needs a file ending in .json or .xml",
    });
    expect(parseRunArgs(["--target", "h:1", "--api-key", "k", "--verbose"], {})).toEqual({ ok: false, error: "unknown option: --verbose" });
  });

  it("documents every scenario in --help", () => {
    const text = helpText();
    for (const s of SCENARIOS) {
      expect(text).toContain(`  ${s.name}\n`);
      expect(s.description.length).toBeGreaterThan(40);
    }
    expect(text).toContain("twofold-emulator run --target HOST:PORT --api-key KEY [--scenario NAME…] [--report FILE.json|FILE.xml]");
  });
});
