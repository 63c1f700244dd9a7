import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METHODS, WIRES } from "./cases.js";
import { runFuzz, startFuzzTarget, type FuzzTarget } from "./harness.js";

/**
 * The seeded fuzz run CI makes: a few thousand generated requests over every
 * unary RPC and every protocol variant (harness.ts lists the rules each
 * answer must keep). `npm run fuzz -- --runs N --seed S` makes longer runs.
 */
const RUNS = Number(process.env["TWOFOLD_FUZZ_RUNS"] ?? 2500);
const SEED = Number(process.env["TWOFOLD_FUZZ_SEED"] ?? 20260601);

let target: FuzzTarget;
beforeAll(async () => {
  target = await startFuzzTarget();
});
afterAll(async () => {
  await target?.close();
});

describe("the fuzzer", () => {
  it("covers every unary RPC on every protocol variant", () => {
    expect(METHODS).toHaveLength(25);
    expect(new Set(WIRES.map((w) => `${w.family}/${w.json}/${w.http}`)).size).toBe(WIRES.length);
  });

  it(`finds no INTERNAL, no HTTP 500, no library wording, no late answer and no change by a refused request in ${RUNS} requests (seed ${SEED})`, { timeout: 300_000 }, async () => {
    const stats = await runFuzz(target, { runs: RUNS, seed: SEED });
    console.log(JSON.stringify(stats));
    // The run must have reached the service, not only bounced off its front door.
    expect(stats.cases).toBeGreaterThan(RUNS * 0.9);
    expect(stats.byCode["0"] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(stats.byWire)).toHaveLength(WIRES.length);
  });
});
