/**
 * The `timing` subcommand's command line and table.
 */
import { intOption, parse, writeJson } from "../common/options.js";
import { progressBar } from "../common/progress.js";
import { fmt, renderTable } from "../common/table.js";
import { naiveTotpVerifier } from "./pairs.js";
import { CONTROL_T, LEAK_T, runTiming, type TimingReport } from "./run-timing.js";

/** `twofold-bench timing --help`. */
export const TIMING_USAGE = `twofold-bench timing [options]

A dudect-style constant-time test of the verification core: for each pair
of input classes (matching vs wrong code; wrong in the first vs the last
digit; known vs unknown user; wrong length; backup code sharing a prefix vs
not), execution times are measured interleaved (a random class each time),
and Welch's t is computed on the raw times, on times cropped below 100
percentiles and on centred squares, as dudect does.

A positive control (an early-exit string compare) runs through the same
harness: it must reach |t| > ${CONTROL_T}, or the run is void. A real pair
reaching |t| > ${LEAK_T} fails the run.

  --samples N      measurements per class and pair (default 200000; smoke 5000)
  --inject-leak    self-test: replace the TOTP core by a naive early-exit
                   verifier; the run must then fail
  --json FILE, --html FILE, --smoke, --no-progress

Exit status 0 when no leak was found and the control was detected, else 1.
`;

/** The report as a table. */
export function timingTable(r: TimingReport): string {
  const rows = r.pairs.map((p) => [
    p.name,
    `${p.classes[0]} / ${p.classes[1]}`,
    `${fmt(p.medianNs[0] / 1000, 3)} / ${fmt(p.medianNs[1] / 1000, 3)}`,
    fmt(p.result.n[0] + p.result.n[1]),
    fmt(p.result.maxT, 2),
    p.result.test,
    p.verdict,
  ]);
  return [
    `timing: ${fmt(r.settings.samplesPerClass)} measurements per class and pair, interleaved` +
      `${r.settings.injectedLeak ? "; SELF-TEST: the TOTP core is replaced by a naive early-exit verifier" : ""}`,
    "",
    renderTable(["pair", "classes", "median µs/op", "measurements", "max |t|", "test with max |t|", "verdict"], rows),
    "",
    `thresholds: a real pair fails at |t| > ${r.settings.leakT}; the control must exceed ${r.settings.controlT}`,
    `verdict: ${r.verdict === "pass" ? "PASS (control detected, no pair above the threshold)" : r.verdict === "leak" ? "LEAK FOUND" : "VOID (the positive control was not detected)"}`,
  ].join("\n");
}

/** Runs `timing`. */
export async function timingCommand(argv: string[]): Promise<number> {
  const { values, common } = parse(argv, { samples: { type: "string" }, "inject-leak": { type: "boolean" } });
  if (common.help) {
    process.stdout.write(TIMING_USAGE);
    return 0;
  }
  const samplesPerClass = intOption(values["samples"], "samples", 1000) ?? (common.smoke ? 5000 : 200_000);
  const report = await runTiming({
    samplesPerClass,
    smoke: common.smoke,
    ...(values["inject-leak"] === true ? { verify: naiveTotpVerifier } : {}),
    progress: progressBar("timing", 2 * samplesPerClass, { enabled: common.progress }),
  });
  process.stdout.write(`${timingTable(report)}\n`);
  if (common.json !== undefined) writeJson(common.json, report);
  if (common.html !== undefined) {
    const { writeTimingHtml } = await import("../report/timing-html.js");
    writeTimingHtml(common.html, report);
  }
  return report.verdict === "pass" ? 0 : 1;
}
