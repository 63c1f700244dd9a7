/**
 * The flake hunt (`npm run test:flakes -- [--runs N] [--fast] [--seed S] [FILTER…]`).
 *
 * Runs the test suite N times (default 5), each run with
 * - a different seed for the tests' randomness (TWOFOLD_TEST_SEED, read by
 *   test/support/random.ts: the secrets the service generates),
 * - a different order of files and tests (vitest's --sequence.shuffle with
 *   its own seed),
 * - a different wall clock, when Debian's libfaketime is installed: the run
 *   starts at a time chosen to sit just before a TOTP step, a minute, an hour
 *   or a day boundary (one offset shared by all its processes), so a test
 *   that leans on the real clock meets the boundary it fears,
 * and reports every test whose outcome was not the same in all runs. Exit
 * status 1 if any test was flaky or failed, 0 when all runs agreed and passed.
 *
 * `--fast` leaves out the slowest folders (end-to-end, scenarios, platform).
 * FILTER arguments are passed to vitest (file name filters).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Options {
  runs: number;
  fast: boolean;
  seed: number;
  filters: string[];
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { runs: 5, fast: false, seed: Math.floor(Date.now() / 1000) % 100_000, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--runs") opts.runs = Number(argv[++i]);
    else if (a === "--seed") opts.seed = Number(argv[++i]);
    else if (a === "--fast") opts.fast = true;
    else if (a === "--help" || a === "-h") {
      console.log("usage: npm run test:flakes -- [--runs N] [--fast] [--seed S] [FILTER…]");
      process.exit(0);
    } else opts.filters.push(a);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 2) throw new Error("--runs must be an integer of at least 2");
  if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new Error("--seed must be a non-negative integer");
  return opts;
}

/** Folders `--fast` leaves out: they start processes and servers and take most of the suite's time. */
const SLOW = ["test/e2e/**", "test/scenarios/**", "test/platform/**"];

/**
 * Start times for the runs' clocks: each a second or two before a boundary a
 * test might lean on (a 30 s and a 60 s TOTP step, an hour, a day, a year).
 */
const BOUNDARIES = [
  "2027-01-01 00:00:28",
  "2027-03-14 15:09:58",
  "2027-06-30 23:59:59",
  "2027-12-31 23:59:58",
  "2028-02-29 11:59:29",
  "2027-09-09 09:09:57",
];

function libfaketime(): string | undefined {
  const dirs = existsSync("/usr/lib") ? readdirSync("/usr/lib").map((d) => join("/usr/lib", d, "faketime")) : [];
  return [join("/usr/lib", "faketime"), ...dirs].map((d) => join(d, "libfaketime.so.1")).find((p) => existsSync(p));
}

interface VitestJson {
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
}

/** One run's outcome per test: "file > full name" → passed / failed / skipped. */
function runOnce(opts: Options, run: number, out: string, faketime: string | undefined): Map<string, string> {
  const seed = opts.seed + run;
  const clock = BOUNDARIES[run % BOUNDARIES.length] ?? "2027-01-01 00:00:28";
  const env: NodeJS.ProcessEnv = { ...process.env, TWOFOLD_TEST_SEED: `flake-${seed}`, CI: process.env["CI"] ?? "true" };
  if (faketime !== undefined) {
    // One offset for every process of the run, so the service, the emulator and
    // the test agree on the time (FAKETIME="@…" would restart the clock at
    // that instant in each new process): the run starts just before the
    // boundary and the clock runs on from there.
    const offset = Math.round((Date.parse(`${clock.replace(" ", "T")}Z`) - Date.now()) / 1000);
    Object.assign(env, { LD_PRELOAD: faketime, FAKETIME: `${offset >= 0 ? "+" : ""}${offset}`, TZ: "UTC", FAKETIME_DONT_FAKE_MONOTONIC: "1" });
  }
  const file = join(out, `run-${run}.json`);
  const args = ["vitest", "run", "--sequence.shuffle", `--sequence.seed=${seed}`, "--reporter=json", `--outputFile=${file}`];
  if (opts.fast) for (const glob of SLOW) args.push("--exclude", glob);
  args.push(...opts.filters);
  const started = performance.now();
  const result = spawnSync("npx", args, { env, stdio: ["ignore", "ignore", "inherit"] });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const outcomes = new Map<string, string>();
  if (!existsSync(file)) {
    console.log(`run ${run + 1}: vitest wrote no report (exit ${result.status}); counted as a failed run`);
    outcomes.set("(the run itself)", "failed");
    return outcomes;
  }
  const report = JSON.parse(readFileSync(file, "utf8")) as VitestJson;
  for (const f of report.testResults) {
    const name = f.name.startsWith(process.cwd()) ? f.name.slice(process.cwd().length + 1) : f.name;
    for (const t of f.assertionResults) outcomes.set(`${name} > ${t.fullName}`, t.status);
  }
  const failed = [...outcomes.values()].filter((s) => s === "failed").length;
  const clockNote = faketime === undefined ? "real clock" : `clock from ${clock}`;
  console.log(`run ${run + 1}/${opts.runs}: ${outcomes.size} tests, ${failed} failed, seed flake-${seed}, ${clockNote}, ${seconds} s`);
  return outcomes;
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const faketime = libfaketime();
  if (faketime === undefined) console.log("libfaketime not found (Debian package faketime): runs keep the real clock");
  const out = mkdtempSync(join(tmpdir(), "twofold-flakes-"));
  const runs: Map<string, string>[] = [];
  try {
    for (let run = 0; run < opts.runs; run++) runs.push(runOnce(opts, run, out, faketime));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }

  const names = new Set(runs.flatMap((r) => [...r.keys()]));
  const flaky: string[] = [];
  const broken: string[] = [];
  for (const name of [...names].sort()) {
    const seen = runs.map((r) => r.get(name) ?? "missing");
    const distinct = new Set(seen);
    if (distinct.size > 1) flaky.push(`${name}: ${seen.join(", ")}`);
    else if (seen[0] === "failed") broken.push(name);
  }
  const cleanRuns = runs.filter((r) => ![...r.values()].includes("failed")).length;
  console.log(`\n${cleanRuns} of ${runs.length} runs passed; ${names.size} tests; ${flaky.length} flaky; ${broken.length} failed in every run`);
  for (const line of flaky) console.log(`FLAKY  ${line}`);
  for (const line of broken) console.log(`FAILED ${line}`);
  process.exitCode = flaky.length > 0 || broken.length > 0 ? 1 : 0;
}

main();
