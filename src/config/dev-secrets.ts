import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.js";
import { decodeKeyBytes, parseKeys } from "./parse-keys.js";

/** Where the development secrets live, inside the data folder next to the embedded database. */
export const DEV_SECRETS_FILE = "dev-secrets.json";

export interface DevSecrets {
  /** The config with keys and pepper filled in. */
  config: Config;
  /** Set when the development file supplied a key or the pepper. */
  devFile?: { path: string; created: boolean };
}

interface DevFile {
  keys: string;
  pepper: string;
}

/**
 * With the embedded database and no keys or pepper configured, the service
 * still starts with no setup: it uses (first generating, mode 0600) a
 * development key file in the data folder. Never used with DATABASE_URL:
 * loadConfig already requires both there.
 */
export function withDevSecrets(config: Config): DevSecrets {
  if (config.databaseUrl !== undefined || (config.keys.length > 0 && config.pepper !== undefined)) return { config };
  const path = join(config.dataDir, DEV_SECRETS_FILE);
  let file: DevFile;
  let created = false;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as DevFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read ${path}`, { cause: err });
    file = { keys: `dev1:${randomBytes(32).toString("base64")}`, pepper: randomBytes(32).toString("base64") };
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // "wx": never overwrite a file another process just wrote.
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    created = true;
  }
  const keys = typeof file.keys === "string" ? parseKeys(file.keys) : "missing";
  const pepper = typeof file.pepper === "string" ? decodeKeyBytes(file.pepper, 32) : undefined;
  if (typeof keys === "string" || pepper === undefined) throw new Error(`${path} is damaged; delete it only if no data depends on it`);
  return {
    config: {
      ...config,
      keys: config.keys.length > 0 ? config.keys : keys,
      pepper: config.pepper ?? pepper,
    },
    devFile: { path, created },
  };
}
