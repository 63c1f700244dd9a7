import { DEFAULT_SCENARIO_TIMEOUT_MS, runScenarios, selectScenarios, UnknownScenarioError, type RunOptions } from "./runner.js";
import { SCENARIOS } from "./catalogue.js";
import { formatTable } from "./table.js";
import { reportFormatOf, writeReport } from "./write-report.js";

/** Where `run` writes: stdout gets the table, stderr progress and usage errors. */
export interface RunIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** The host's clock; default the wall clock. A test pins it, with the service's, to a known TOTP step. */
  clock?: RunOptions["clock"];
}

/** The usage line of `run`, also printed on a usage error. */
export const RUN_USAGE =
  "twofold-emulator run --target HOST:PORT --api-key KEY [--scenario NAME…] [--report FILE.json|FILE.xml]\n" +
  "                     [--origin URL] [--http 2|1.1] [--timeout SECONDS]";

/** What the command line asked for, or why it cannot be run. */
export type ParsedRun = { ok: true; options: RunOptions; report: string | undefined } | { ok: false; error: string };

/**
 * Parses `run`'s arguments. `--scenario` takes one or more names (repeatable,
 * comma-separated too); the key may come from TWOFOLD_API_KEY instead of the
 * command line, to keep it out of shell history and process lists.
 */
export function parseRunArgs(argv: readonly string[], env: RunIo["env"]): ParsedRun {
  let target: string | undefined;
  let apiKey = env.TWOFOLD_API_KEY;
  let report: string | undefined;
  let origin: string | undefined;
  let httpVersion: "1.1" | "2" = "2";
  let timeoutMs = DEFAULT_SCENARIO_TIMEOUT_MS;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--") ? argv[++i] : undefined);
    switch (flag) {
      case "--target":
        target = value();
        if (target === undefined) return { ok: false, error: "--target needs HOST:PORT" };
        break;
      case "--api-key":
        apiKey = value();
        if (apiKey === undefined) return { ok: false, error: "--api-key needs a key" };
        break;
      case "--report":
        report = value();
        if (report === undefined || reportFormatOf(report) === undefined) return { ok: false, error: "--report needs a file ending in .json or .xml" };
        break;
      case "--origin": {
        origin = value();
        if (origin === undefined || !URL.canParse(origin)) return { ok: false, error: "--origin needs a URL such as https://login.example.com" };
        break;
      }
      case "--http": {
        const v = value();
        if (v !== "2" && v !== "1.1") return { ok: false, error: "--http is 2 or 1.1" };
        httpVersion = v;
        break;
      }
      case "--timeout": {
        const v = Number(value());
        if (!Number.isFinite(v) || v <= 0) return { ok: false, error: "--timeout needs a number of seconds above 0" };
        timeoutMs = Math.round(v * 1000);
        break;
      }
      case "--scenario": {
        let taken = 0;
        let v = value();
        while (v !== undefined) {
          names.push(...v.split(",").filter((n) => n !== ""));
          taken++;
          v = inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--") ? argv[++i] : undefined;
        }
        if (taken === 0) return { ok: false, error: "--scenario needs a name" };
        break;
      }
      default:
        return { ok: false, error: `unknown option: ${arg}` };
    }
  }
  if (target === undefined) return { ok: false, error: "--target is required" };
  if (apiKey === undefined || apiKey === "") return { ok: false, error: "--api-key (or TWOFOLD_API_KEY) is required" };
  try {
    selectScenarios(SCENARIOS, names);
  } catch (err) {
    if (err instanceof UnknownScenarioError) return { ok: false, error: err.message };
    throw err;
  }
  const options: RunOptions = { target, apiKey, httpVersion, timeoutMs, scenarios: names };
  if (origin !== undefined) options.origin = origin;
  return { ok: true, options, report };
}

/**
 * `twofold-emulator run`: plays the scenarios against the service, prints
 * the table, writes the report. Exit code 0 if all passed, 1 if any failed,
 * 2 on bad usage.
 */
export async function runCommand(argv: readonly string[], io: RunIo): Promise<number> {
  const parsed = parseRunArgs(argv, io.env);
  if (!parsed.ok) {
    io.stderr(`${parsed.error}\n\nUsage: ${RUN_USAGE}\n(twofold-emulator --help lists the scenarios)\n`);
    return 2;
  }
  const report = await runScenarios({
    ...parsed.options,
    ...(io.clock === undefined ? {} : { clock: io.clock }),
    onResult: (r) => io.stderr(`${r.status === "passed" ? "PASS" : "FAIL"} ${r.name}\n`),
  });
  io.stdout(formatTable(report));
  if (parsed.report !== undefined) await writeReport(parsed.report, report);
  return report.results.every((r) => r.status === "passed") ? 0 : 1;
}
