import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { AppDeps } from "../../src/app.js";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import type { FixedClock } from "../../src/domain/clock.js";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";
import { testConfig } from "./app.js";
import { seededRandom } from "./random.js";

/**
 * The app's dependencies on a migrated embedded store (PGlite) in a fresh
 * folder, as `twofold serve` runs without DATABASE_URL. `close` closes the
 * database and removes the folder.
 */
export async function openEmbeddedApp(clock: FixedClock, seed: string): Promise<{ deps: AppDeps; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "twofold-embedded-app-"));
  const db = await openEmbeddedDb(dir);
  await migrate(db);
  const config = testConfig();
  const deps: AppDeps = {
    config,
    db,
    keyring: createKeyring(config.keys, config.pepper ?? Buffer.alloc(32)),
    clock,
    random: seededRandom(seed),
    logger: pino({ level: "silent" }),
  };
  return {
    deps,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
