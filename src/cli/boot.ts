import type { Logger } from "pino";
import type { AppDeps } from "../app.js";
import type { Config } from "../config/config.js";
import { withDevSecrets } from "../config/dev-secrets.js";
import { ConfigError, loadConfig } from "../config/load.js";
import { unknownVariables } from "../config/variables.js";
import { createKeyring } from "../crypto/keyring-aes.js";
import { systemClock } from "../domain/clock.js";
import { systemRandom } from "../domain/random.js";
import { migrate } from "../store/migrate.js";
import { openDb } from "../store/open.js";

/** Exit status for a bad command line or configuration (sysexits' EX_USAGE is 64; 2 is the shell habit). */
export const EXIT_USAGE = 2;

/** Thrown for a bad command line; main prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The configuration, or every bad variable on stderr and exit 2. */
export function loadConfigOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`twofold: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
}

/**
 * Config → secrets → database → migrations → keyring: what every command
 * that touches data needs. The development key file is announced in a
 * warning, never printed.
 */
export async function openPlatform(
  config: Config,
  logger: Logger,
  env: Record<string, string | undefined>,
): Promise<{ deps: AppDeps; migrations: string[] }> {
  for (const name of unknownVariables(env)) logger.warn({ variable: name }, "unknown TWOFOLD_ variable ignored");
  const secrets = withDevSecrets(config);
  if (secrets.devFile !== undefined) {
    logger.warn(
      { file: secrets.devFile.path, created: secrets.devFile.created },
      secrets.devFile.created
        ? "no TWOFOLD_KEYS/TWOFOLD_PEPPER: generated a development key file; fine for trying twofold, not for production"
        : "no TWOFOLD_KEYS/TWOFOLD_PEPPER: using the development key file; fine for trying twofold, not for production",
    );
  }
  const full = secrets.config;
  const db = await openDb(full);
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ migrations: applied }, "applied migrations");
    // withDevSecrets fills the pepper whenever it is missing, and loadConfig demands it with DATABASE_URL.
    const keyring = createKeyring(full.keys, full.pepper as Buffer);
    return { deps: { config: full, db, keyring, clock: systemClock, random: systemRandom, logger }, migrations: applied };
  } catch (err) {
    await db.close();
    throw err;
  }
}
