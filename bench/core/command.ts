/**
 * The `core` subcommand's command line and table.
 */
import { numberOption, parse, writeJson } from "../common/options.js";
import { progressBar } from "../common/progress.js";
import { fmt, renderTable } from "../common/table.js";
import { runCore, type CoreReport } from "./run-core.js";

/** `twofold-bench core --help`. */
export const CORE_USAGE = `twofold-bench core [options]

Verifications per second of the verification core, all cases interleaved in
one loop (random order each round), with the baselines measured in the same
run: otplib verifySync over the same 21 steps, bare createHmac calls (the
floor), @simplewebauthn/server on the same assertions.

  --duration S    measuring time for all cases together (default 20; smoke 1.5)
  --warmup S      warm-up before it (default 2; smoke 0.3)
  --json FILE, --html FILE, --smoke, --no-progress

Exit status 1 when cases that must do the same work count different HMACs.
`;

const x = (v: number | undefined): string => (v === undefined ? "-" : `${fmt(v, 2)}×`);

/** The report as a table. */
export function coreTable(r: CoreReport): string {
  const rows = r.rows.map((row) => [
    row.name,
    fmt(row.opsPerSecond, 0),
    fmt(row.usPerOpMedian, row.usPerOpMedian < 10 ? 2 : 1),
    fmt(row.usPerOpP99, row.usPerOpP99 < 10 ? 2 : 1),
    row.hmacsPerOp === undefined ? "-" : String(row.hmacsPerOp),
    x(row.vsOtplib),
    x(row.vsFloor),
    x(row.vsSimpleWebAuthn),
  ]);
  const lines = [
    `core: ${r.rows.length} cases interleaved for ${r.settings.seconds} s after ${r.settings.warmupSeconds} s warm-up (${r.machine.cpus} cores, Node ${r.machine.node})`,
    "",
    renderTable(["case", "ops/s", "µs/op p50", "µs/op p99", "HMACs/op", "÷ otplib", "÷ HMAC floor", "÷ simplewebauthn"], rows),
    "",
    "÷ X: X's median µs/op over this case's, measured in the same run (> 1: faster than X; ÷ HMAC floor: bare createHmac calls doing the same HMACs; SHA1 runs on precomputed pad blocks, so it beats the floor).",
  ];
  for (const g of r.constantWork) {
    lines.push(`constant work, ${g.group}: HMACs per op ${g.hmacs.join(", ")} — ${g.ok ? "equal" : "DIFFERENT"}`);
  }
  return lines.join("\n");
}

/** Runs `core`. */
export async function coreCommand(argv: string[]): Promise<number> {
  const { values, common } = parse(argv, { duration: { type: "string" }, warmup: { type: "string" } });
  if (common.help) {
    process.stdout.write(CORE_USAGE);
    return 0;
  }
  const seconds = numberOption(values["duration"], "duration", 0.1) ?? (common.smoke ? 1.5 : 20);
  const warmupSeconds = numberOption(values["warmup"], "warmup", 0) ?? (common.smoke ? 0.3 : 2);
  const report = await runCore({ seconds, warmupSeconds, smoke: common.smoke, progress: progressBar("core", seconds, { enabled: common.progress }) });
  process.stdout.write(`${coreTable(report)}\n`);
  if (common.json !== undefined) writeJson(common.json, report);
  if (common.html !== undefined) {
    const { writeCoreHtml } = await import("../report/core-html.js");
    writeCoreHtml(common.html, report);
  }
  if (report.constantWork.some((g) => !g.ok)) {
    process.stderr.write("twofold-bench core: constant work violated: HMAC counts differ between cases that must do the same work\n");
    return 1;
  }
  return 0;
}
