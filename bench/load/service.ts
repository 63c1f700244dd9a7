/**
 * The service under load, started by `load` itself: `twofold serve` in a
 * child process (its CPU apart from the load generator's) on an ephemeral
 * port, with an admin key made by `twofold api-keys create` (the key is the
 * last line of its stdout). Embedded PGlite when DATABASE_URL is unset, else
 * a fresh database on that server, dropped afterwards.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { jsonLine, nodeEntry, startChild, type Child } from "../common/child.js";
import { createFreshDatabase, type FreshDatabase } from "./database.js";

const run = promisify(execFile);

/** The tenant the load's users live in (against Postgres; embedded: the development key's tenant). */
export const LOAD_TENANT = "bench";

/** An API key as the CLI prints it. */
const KEY = /^tf_[A-Za-z0-9_-]+$/;

/** A service the load started, and how to stop it. */
export interface StartedService {
  target: string;
  apiKey: string;
  child: Child;
  /** "embedded" or the fresh database's URL. */
  database: { kind: "embedded" } | { kind: "postgres"; url: string; name: string };
  stop(): Promise<void>;
}

/**
 * Node flags the service runs with as shipped (package.json `start`, the
 * Dockerfile's NODE_OPTIONS): the run measures the service as deployed, and
 * the transport ceiling's trivial server gets them too.
 */
export const SERVICE_NODE_FLAGS = ["--max-semi-space-size=64"];

/** Options for {@link startService}. */
export interface ServiceOptions {
  /** A Postgres server to create the run's database on; undefined: embedded. */
  databaseUrl: string | undefined;
  /** A scratch folder of the run's (data dir, logs). */
  workDir: string;
  /** Starts the service with `node --cpu-prof --cpu-prof-dir DIR`. */
  cpuProfDir?: string | undefined;
  /** Extra environment for the service (e.g. TWOFOLD_DB_POOL_SIZE). */
  env?: Record<string, string>;
}

/** The caller's environment without the variables the run sets itself. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["DATABASE_URL", "TWOFOLD_ADDR", "TWOFOLD_DATA_DIR", "TWOFOLD_KEYS", "TWOFOLD_PEPPER"]) delete env[name];
  return env;
}

/** Starts the service; the caller must `stop()` it (which also drops the fresh database). */
export async function startService(opts: ServiceOptions): Promise<StartedService> {
  const dataDir = join(opts.workDir, "data");
  const env: NodeJS.ProcessEnv = { ...baseEnv(), ...opts.env, TWOFOLD_ADDR: "127.0.0.1:0", TWOFOLD_DATA_DIR: dataDir };
  // The run learns the service's port from its "twofold serving" line, an info line.
  const level = env["TWOFOLD_LOG_LEVEL"];
  if (level !== undefined && !["info", "debug", "trace"].includes(level)) {
    throw new Error(`TWOFOLD_LOG_LEVEL=${level} hides the service's "twofold serving" line, which the run waits for: use info (the default), debug or trace`);
  }
  mkdirSync(dataDir, { recursive: true });
  let fresh: FreshDatabase | undefined;
  if (opts.databaseUrl !== undefined) {
    fresh = await createFreshDatabase(opts.databaseUrl);
    env["DATABASE_URL"] = fresh.url;
    // A throwaway keyring and pepper: the database lives only as long as the run.
    env["TWOFOLD_KEYS"] = `bench:${randomBytes(32).toString("base64")}`;
    env["TWOFOLD_PEPPER"] = randomBytes(32).toString("base64");
  }
  try {
    // Against Postgres: `twofold api-keys create` migrates, then prints the key alone on the last
    // line of stdout. Embedded: the first `serve` on an empty data folder makes an admin key itself
    // and prints it once (README "Quick start"); that saves opening the embedded database twice.
    let apiKey = "";
    if (fresh !== undefined) {
      const created = await run(
        process.execPath,
        [...nodeEntry("src/cli/main"), "api-keys", "create", "--tenant", LOAD_TENANT, "--role", "admin", "--name", "twofold-bench"],
        { env, maxBuffer: 1 << 20 },
      );
      apiKey = created.stdout.trimEnd().split("\n").at(-1)?.trim() ?? "";
      if (!KEY.test(apiKey)) throw new Error("twofold api-keys create printed no key");
    }

    const nodeFlags = [...SERVICE_NODE_FLAGS, ...(opts.cpuProfDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", opts.cpuProfDir])];
    const child = startChild("src/cli/main", ["serve"], { env, nodeFlags, logFile: join(opts.workDir, "service.log") });
    const url = await child
      .waitFor((line) => {
        const entry = jsonLine(line);
        return entry?.["msg"] === "twofold serving" && typeof entry["url"] === "string" ? entry["url"] : undefined;
      }, 120_000)
      .catch(async (err: unknown) => {
        await child.stop();
        throw err;
      });
    if (fresh === undefined) {
      apiKey = await child.waitFor((line) => (KEY.test(line.trim()) ? line.trim() : undefined), 5_000).catch(async (err: unknown) => {
        await child.stop();
        throw err;
      });
    }
    const target = new URL(url).host;
    return {
      target,
      apiKey,
      child,
      database: fresh === undefined ? { kind: "embedded" } : { kind: "postgres", url: fresh.url, name: fresh.name },
      async stop() {
        try {
          await child.stop();
        } finally {
          await fresh?.drop();
        }
      },
    };
  } catch (err) {
    await fresh?.drop();
    throw err;
  }
}
