/**
 * The long fuzz run: `npm run fuzz -- --runs N --seed S` (defaults: 20000
 * runs, a seed from the clock, printed so a failure can be replayed). Needs
 * DATABASE_URL, like the test suites; prints the tallies, exits 1 on the
 * first broken rule with fast-check's shrunk counterexample.
 */
import { parseArgs } from "node:util";
import { runFuzz, startFuzzTarget } from "./harness.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20000" }, seed: { type: "string" } } });
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  process.stderr.write("usage: npm run fuzz -- [--runs N] [--seed S]\n");
  process.exit(2);
}
process.stdout.write(`fuzz: ${runs} runs, seed ${seed}\n`);
const target = await startFuzzTarget();
const started = Date.now();
try {
  const stats = await runFuzz(target, { runs, seed });
  process.stdout.write(`${JSON.stringify({ ...stats, seconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await target.close();
}
