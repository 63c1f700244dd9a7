import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type RunIo } from "../../emulator/scenarios/run-command.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { FixedClock } from "../../src/domain/clock.js";
import { PINNED_AT, pinnedTimeEnv } from "../support/pinned-time.js";
import { liveDatabase, startLiveServer, wrapService, type LiveDatabase, type LiveServer } from "./live-service.js";

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npx tsx emulator/cli.ts ARGS` as a user would run it from a checkout, or
 * node with tsx's loader (quicker to start), its clock pinned at PINNED_AT.
 */
function cli(args: string[], via: "npx" | "node" = "node"): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const [command, prefix] = via === "npx" ? ["npx", ["tsx"]] : [process.execPath, ["--import", "tsx"]];
    const env = { ...process.env, TWOFOLD_API_KEY: "", ...pinnedTimeEnv() };
    const child = spawn(command, [...prefix, "emulator/cli.ts", ...args], { cwd: process.cwd(), env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** In-process `run` with its output captured. */
function captured(env: Record<string, string | undefined> = {}): { io: RunIo; stdout(): string; stderr(): string } {
  let stdout = "";
  let stderr = "";
  return {
    io: { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, clock: new FixedClock(PINNED_AT) },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

let db: LiveDatabase;
let live: LiveServer;
let replayAccepting: LiveServer;
let dir: string;

beforeAll(async () => {
  // The CLI's clock stands still at PINNED_AT (libfaketime), and so does the service's.
  db = await liveDatabase(new FixedClock(PINNED_AT));
  live = await startLiveServer(db);
  replayAccepting = await startLiveServer(db, {
    wrap: wrapService(AuthenticationService, (real) => ({
      ...real,
      async verify(req, ctx) {
        const res = await real.verify!(req, ctx);
        return res.reason === FailureReason.REPLAYED ? { verified: true, context: {} } : res;
      },
    })),
  });
  dir = await mkdtemp(join(tmpdir(), "twofold-emulator-"));
});

afterAll(async () => {
  await live?.close();
  await replayAccepting?.close();
  await db?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("twofold-emulator run", () => {
  it("prints a passing table and a JUnit report, exit code 0, without the API key", async () => {
    const xml = join(dir, "pass.xml");
    const run = await cli(["run", "--target", live.target, "--api-key", db.adminKey, "--scenario", "replayed-code-refused", "--report", xml], "npx");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^scenario +\| result \| duration \| detail$/m);
    expect(run.stdout).toMatch(/^replayed-code-refused +\| PASS +\| \d+\.\d\d s +\| second use refused REPLAYED$/m);
    expect(run.stdout).toContain(`1 passed, 0 failed`);
    const report = await readFile(xml, "utf8");
    expect(report).toContain(`<testsuite name="twofold-emulator" tests="1" failures="0"`);
    expect(report).toMatch(/<testcase classname="scenario" name="replayed-code-refused" time="\d+\.\d{3}"\/>/);
    for (const text of [run.stdout, run.stderr, report]) expect(text).not.toContain(db.adminKey);
  });

  it("exits 1 and reports the failure when the service breaks the rule", async () => {
    const xml = join(dir, "fail.xml");
    const args = ["run", "--target", replayAccepting.target, "--api-key", db.adminKey, "--scenario", "replayed-code-refused"];
    const run = await cli([...args, "--report", xml]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^replayed-code-refused +\| FAIL +\| .* \| the same code sent again was accepted, expected a refusal with reason REPLAYED$/m);
    const report = await readFile(xml, "utf8");
    expect(report).toContain(`tests="1" failures="1"`);
    expect(report).toContain(`<failure message="the same code sent again was accepted, expected a refusal with reason REPLAYED">`);
  });

  it("writes the JSON report by the file's extension", async () => {
    const json = join(dir, "fail.json");
    const out = captured();
    const code = await runCommand(["--target", replayAccepting.target, "--api-key", db.adminKey, "--scenario", "replayed-code-refused", "--report", json], out.io);
    expect(code).toBe(1);
    const parsed = JSON.parse(await readFile(json, "utf8")) as { target: string; startedAt: string; results: unknown[] };
    expect(parsed.target).toBe(replayAccepting.target);
    expect(Number.isNaN(Date.parse(parsed.startedAt))).toBe(false);
    expect(parsed.results).toEqual([
      { name: "replayed-code-refused", status: "failed", durationMs: expect.any(Number), error: "the same code sent again was accepted, expected a refusal with reason REPLAYED" },
    ]);
  });

  it("answers 2 on bad usage, naming the problem, before calling the service", async () => {
    const unknown = captured();
    expect(await runCommand(["--target", live.target, "--api-key", "k", "--scenario", "no-such-scenario"], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain("unknown scenario: no-such-scenario");
    const noKey = captured();
    expect(await runCommand(["--target", live.target], noKey.io)).toBe(2);
    expect(noKey.stderr()).toContain("--api-key (or TWOFOLD_API_KEY) is required");
    expect(noKey.stdout()).toBe("");
  });

  it("takes the key from TWOFOLD_API_KEY", async () => {
    const out = captured({ TWOFOLD_API_KEY: db.serviceKey });
    expect(await runCommand(["--target", live.target, "--scenario", "mail-client-app-password", "--http", "1.1"], out.io)).toBe(0);
    expect(out.stdout()).toMatch(/^mail-client-app-password +\| PASS/m);
    expect(out.stdout() + out.stderr()).not.toContain(db.serviceKey);
  });
});
