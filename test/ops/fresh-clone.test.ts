import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

const exec = promisify(execFile);

/** A fixed 32-byte key and pepper for the clone's service (base64); test values, never used elsewhere. */
const TEST_KEYS = `clone1:${Buffer.alloc(32, 7).toString("base64")}`;
const TEST_PEPPER = Buffer.alloc(32, 9).toString("base64");

/** What a platform service would write: plain Node, `twofold/client` by name, no loader flags. */
const CONSUMER = `
import { createTwofoldClient, HealthCheckResponse_ServingStatus, TwofoldError, Code } from "twofold/client";
const [baseUrl, apiKey] = process.argv.slice(2);
const c = createTwofoldClient({ baseUrl, apiKey, protocol: "grpc" });
const health = await c.health.check({});
const factors = await c.enrolment.listFactors({ userId: "clone-user" });
let refused = "";
try {
  await c.enrolment.listFactors({ userId: "" });
} catch (err) {
  if (err instanceof TwofoldError && err.code === Code.InvalidArgument) refused = err.fieldViolations.map((v) => v.field).join(",");
}
c.close();
console.log(JSON.stringify({ serving: health.status === HealthCheckResponse_ServingStatus.SERVING, factors: factors.factors.length, refused }));
`;

let dir = "";
let database: TestDatabase;
const env = (): NodeJS.ProcessEnv => ({
  PATH: process.env["PATH"],
  HOME: process.env["HOME"] ?? homedir(),
  CI: "true",
  DATABASE_URL: database.url,
  TWOFOLD_KEYS: TEST_KEYS,
  TWOFOLD_PEPPER: TEST_PEPPER,
  TWOFOLD_LOG_LEVEL: "warn",
});
const run = (file: string, args: string[]) => exec(file, args, { cwd: dir, env: env(), maxBuffer: 16 * 1024 * 1024 });

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await realpath(await mkdtemp(join(tmpdir(), "twofold-clone-")));
  // The committed tree, as a new operator gets it: a clone, then npm ci and nothing else.
  const { stdout: head } = await exec("git", ["rev-parse", "HEAD"]);
  await exec("git", ["clone", "--quiet", "--shared", "--no-checkout", process.cwd(), dir]);
  await exec("git", ["-C", dir, "checkout", "--quiet", head.trim()]);
  await run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel", "error"]);
}, 600_000);

afterAll(async () => {
  if (dir !== "") {
    // npx keeps a link to the clone in its cache, keyed by the directory's path (libnpmexec).
    const npxEntry = join(process.env["HOME"] ?? homedir(), ".npm", "_npx", createHash("sha512").update(dir).digest("hex").slice(0, 16));
    await rm(npxEntry, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
  await database?.drop();
});

describe("a fresh clone after npm ci, with no build step", () => {
  it("has no dist/: nothing was compiled", () => {
    expect(existsSync(join(dir, "dist"))).toBe(false);
    expect(existsSync(join(dir, "node_modules", ".bin", "tsx"))).toBe(true);
  });

  it("runs npx twofold and npx twofold-emulator, creates a key, serves, and answers twofold/client", async () => {
    expect((await run("npx", ["twofold", "--help"])).stdout).toContain("twofold api-keys create");
    expect((await run("npx", ["twofold-emulator", "--help"])).stdout).toContain("twofold-emulator run");

    const created = await run("npx", ["twofold", "api-keys", "create", "--tenant", "clone", "--role", "service"]);
    const key = created.stdout.trim().split("\n").at(-1) ?? "";
    expect(key).toMatch(/^tf_[0-9a-f]{16}_/);

    const serve = spawn("npx", ["twofold", "serve"], { cwd: dir, env: { ...env(), TWOFOLD_ADDR: "127.0.0.1:0", TWOFOLD_LOG_LEVEL: "info" }, detached: true });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        serve.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString("utf8");
          const m = /"msg":"twofold serving"[^\n]*"url":"([^"]+)"|"url":"([^"]+)"[^\n]*"msg":"twofold serving"/.exec(out);
          if (m !== null) resolve((m[1] ?? m[2]) as string);
        });
        serve.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      await writeFile(join(dir, "consumer.mjs"), CONSUMER);
      const { stdout } = await run(process.execPath, ["consumer.mjs", url, key]);
      expect(JSON.parse(stdout)).toEqual({ serving: true, factors: 0, refused: "user_id" });
    } finally {
      // npx runs the bin in a child of its own: signal the whole group.
      if (serve.pid !== undefined && serve.exitCode === null) process.kill(-serve.pid, "SIGTERM");
      await new Promise((resolve) => (serve.exitCode !== null ? resolve(undefined) : serve.on("exit", resolve)));
    }
  }, 180_000);
});
