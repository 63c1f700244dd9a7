import { randomBytes } from "node:crypto";
import { pino } from "pino";
import type { AppDeps } from "../../src/app.js";
import type { Config } from "../../src/config/config.js";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import { createApiKey } from "../../src/domain/api-keys/create-api-key.js";
import type { Role } from "../../src/domain/caller.js";
import { systemClock, type Clock } from "../../src/domain/clock.js";
import type { Random } from "../../src/domain/random.js";
import type { Db } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import { createPgDb } from "../../src/store/pg.js";
import { createTestDatabase } from "./database.js";
import { seededRandom } from "./random.js";

/** A migrated database of its own, with everything domain and rpc code needs. */
export interface TestApp {
  deps: AppDeps;
  db: Db;
  dbUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  /** Default: {@link seededRandom}, so generated secrets are the same on every run. */
  random?: Random;
  config?: Partial<Config>;
}

/** A complete configuration for tests: a random key and pepper, quiet logs, defaults elsewhere. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    databaseUrl: undefined,
    dataDir: "./data",
    addr: { host: "127.0.0.1", port: 0 },
    logLevel: "silent",
    keys: [{ id: "test1", key: randomBytes(32) }],
    pepper: randomBytes(32),
    issuer: "twofold-test",
    totpWindow: 1,
    challengeMemory: 10_000,
    dbPoolSize: 5,
    dbPipelines: 2,
    maxMessageBytes: 64 * 1024,
    maxConcurrentStreams: 100,
    requestTimeoutMs: 10_000,
    keepAliveIntervalMs: 30_000,
    rpId: "localhost",
    rpName: "twofold",
    rpOrigins: ["http://localhost:3000"],
    ...overrides,
  };
}

/**
 * A fresh Postgres database (createTestDatabase), migrated, with a keyring of a
 * random test key and pepper, seeded randomness for the service (the secrets
 * it generates) and a silent logger. `close()` closes the pool and drops the
 * database.
 */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig({ databaseUrl: database.url, ...opts.config });
  const db = createPgDb({ url: database.url, poolSize: config.dbPoolSize, pipelines: config.dbPipelines, statementTimeoutMs: config.requestTimeoutMs });
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    await database.drop();
    throw err;
  }
  const pepper = config.pepper ?? randomBytes(32);
  const deps: AppDeps = {
    config,
    db,
    keyring: createKeyring(config.keys, pepper),
    clock: opts.clock ?? systemClock,
    random: opts.random ?? seededRandom("test-app"),
    logger: pino({ level: "silent" }),
  };
  return {
    deps,
    db,
    dbUrl: database.url,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

/** A new API key of `role` for `tenant`, as the bearer token a client sends. */
export async function createTestApiKey(app: TestApp, tenant: string, role: Role): Promise<string> {
  const created = await createApiKey(app.deps, { tenant, role, name: `test ${role}` });
  return created.token;
}
