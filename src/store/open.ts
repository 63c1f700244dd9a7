import type { Config } from "../config/config.js";
import type { Db } from "./db.js";
import { openEmbeddedDb } from "./embedded.js";
import { createPgDb } from "./pg.js";

/** The configured backend: a Postgres server when DATABASE_URL is set, else PGlite in the data folder. */
export async function openDb(config: Pick<Config, "databaseUrl" | "dataDir" | "dbPoolSize" | "dbPipelines" | "requestTimeoutMs">): Promise<Db> {
  if (config.databaseUrl !== undefined) {
    return createPgDb({
      url: config.databaseUrl,
      poolSize: config.dbPoolSize,
      pipelines: config.dbPipelines,
      statementTimeoutMs: config.requestTimeoutMs,
    });
  }
  return openEmbeddedDb(config.dataDir);
}
