/**
 * The `statements` subcommand's command line and table.
 */
import { intOption, parse, UsageError, writeJson } from "../common/options.js";
import { fmt, renderTable } from "../common/table.js";
import { runStatements, type StatementsReport } from "./run-statements.js";

/** `twofold-bench statements --help`. */
export const STATEMENTS_USAGE = `twofold-bench statements [options]

What each login call costs Postgres, in instructions: the service's own
Challenge and Verify code runs over one connection to a private Postgres
cluster whose processes run under valgrind's callgrind, and the backend's
instructions are read before and after each kind of call. Unlike seconds,
the counts are the same on every run (same binary, same data), however busy
the machine is, so two shapes of a statement compare exactly. A replay
compare-and-set, the statement of load's database ceiling, is counted the
same way as the yardstick.

Needs valgrind and the Postgres server programs (initdb, postgres); as root,
the cluster runs as the postgres user.

  --calls N     counted calls of each kind (default 50; smoke 5)
  --warmup N    calls before the count (default 8: Postgres settles on its
                generic plans after five executions of a statement)
  --pg-bin DIR  the server's bin folder (default: pg_config --bindir)
  --json FILE, --smoke, --no-progress

Exit status 0 when every call answered as expected.
`;

/** The report as a table. */
export function statementsTable(r: StatementsReport): string {
  const rows = r.phases.map((p) => [
    p.name,
    fmt(p.statementsPerCall, p.statementsPerCall % 1 === 0 ? 0 : 2),
    fmt(p.instructionsPerCall / 1000),
    fmt(p.instructionsPerCall / r.compareAndSet, 1),
  ]);
  const login = (suffix: string): number | undefined => {
    const c = r.phases.find((p) => p.name === `Challenge${suffix}`);
    const v = r.phases.find((p) => p.name === `Verify, right code${suffix}`);
    return c === undefined || v === undefined ? undefined : c.instructionsPerCall + v.instructionsPerCall;
  };
  const remembered = login(" (remembered)");
  return [
    `statements: ${r.settings.calls} counted calls of each kind after ${r.settings.warmup} warm-up calls, each kind on two fresh connections, Postgres under callgrind`,
    "",
    renderTable(["call", "statements", "postgres k instructions", "× compare-and-set"], rows),
    "",
    `compare-and-set (load's database ceiling statement): ${fmt(r.compareAndSet / 1000)}k instructions`,
    remembered === undefined
      ? ""
      : `a login (Challenge + Verify, remembered): ${fmt(remembered / 1000)}k instructions, ${fmt(remembered / r.compareAndSet, 1)} compare-and-sets`,
  ].join("\n");
}

/** Runs `statements`. */
export async function statementsCommand(argv: string[]): Promise<number> {
  const { values, common } = parse(argv, { calls: { type: "string" }, warmup: { type: "string" }, "pg-bin": { type: "string" } });
  if (common.help) {
    process.stdout.write(STATEMENTS_USAGE);
    return 0;
  }
  if (common.html !== undefined) throw new UsageError("statements writes no HTML report (--json FILE)");
  const calls = intOption(values["calls"], "calls", 1, 10_000) ?? (common.smoke ? 5 : 50);
  const warmup = intOption(values["warmup"], "warmup", 0, 1_000) ?? 8;
  const pgBin = values["pg-bin"] as string | undefined;
  if (common.progress) process.stderr.write("statements: starting Postgres under callgrind (slow: about 50 times slower than usual)\n");
  const report = await runStatements({ calls, warmup, pgBin });
  process.stdout.write(`${statementsTable(report)}\n`);
  if (common.json !== undefined) writeJson(common.json, report);
  return 0;
}
