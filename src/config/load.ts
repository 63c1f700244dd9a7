import type { Config, KeyringKey, ListenAddress } from "./config.js";
import { ConfigError } from "./config-error.js";
import { parseListenAddress } from "./parse-addr.js";
import { decodeKeyBytes, parseKeys } from "./parse-keys.js";

export { ConfigError } from "./config-error.js";

const LOG_LEVELS: readonly Config["logLevel"][] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** A parsed value, or a problem (never quoting secret input). */
type Parsed<T> = { ok: T } | { problem: string };

/**
 * Reads and validates the whole configuration once, at boot. Every bad
 * variable is collected, so an operator fixes them all in one go; the
 * ConfigError names each. Secrets are never quoted in a problem.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  /** Unset and empty are the same: `DATABASE_URL=` in a compose file means "not set". */
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  function read<T>(name: string, fallback: T, parse: (v: string) => Parsed<T>): T {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const r = parse(raw);
    if ("ok" in r) return r.ok;
    problems.push(`${name}: ${r.problem}`);
    return fallback;
  }
  const int = (name: string, fallback: number, min: number, max: number): number =>
    read<number>(name, fallback, (v) =>
      /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max
        ? { ok: Number(v) }
        : { problem: `must be a whole number from ${min} to ${max} (got "${v}")` },
    );
  const text = (name: string, fallback: string, max: number): string =>
    read<string>(name, fallback, (v) =>
      v.length <= max && !/\p{Cc}/u.test(v) ? { ok: v } : { problem: `must be 1-${max} characters without control characters` },
    );

  const databaseUrl = read<string | undefined>("DATABASE_URL", undefined, (v) => {
    const u = URL.canParse(v) ? new URL(v) : undefined;
    return u !== undefined && (u.protocol === "postgres:" || u.protocol === "postgresql:")
      ? { ok: v }
      : { problem: "must be a postgres:// or postgresql:// URL" };
  });

  const addr = read<ListenAddress>("TWOFOLD_ADDR", { host: "127.0.0.1", port: 50051 }, (v) => {
    const a = parseListenAddress(v);
    return typeof a === "string" ? { problem: `${a} (got "${v}")` } : { ok: a };
  });

  const metricsAddr = read<ListenAddress | undefined>("TWOFOLD_METRICS_ADDR", undefined, (v) => {
    const a = parseListenAddress(v);
    return typeof a === "string" ? { problem: `${a} (got "${v}")` } : { ok: a };
  });

  const logLevel = read<Config["logLevel"]>("TWOFOLD_LOG_LEVEL", "info", (v) => {
    const level = LOG_LEVELS.find((l) => l === v);
    return level !== undefined ? { ok: level } : { problem: `must be one of ${LOG_LEVELS.join(", ")}` };
  });

  const keys = read<KeyringKey[]>("TWOFOLD_KEYS", [], (v) => {
    const k = parseKeys(v);
    return typeof k === "string" ? { problem: k } : { ok: k };
  });
  const pepper = read<Buffer | undefined>("TWOFOLD_PEPPER", undefined, (v) => {
    const p = decodeKeyBytes(v, 32);
    return p !== undefined ? { ok: p } : { problem: "must be base64 of exactly 32 bytes" };
  });
  if (get("DATABASE_URL") !== undefined) {
    // Against a real server there is no development fallback: a lost generated key loses every secret.
    if (get("TWOFOLD_KEYS") === undefined) {
      problems.push("TWOFOLD_KEYS: required when DATABASE_URL is set (`twofold keys generate` prints one)");
    }
    if (get("TWOFOLD_PEPPER") === undefined) {
      problems.push("TWOFOLD_PEPPER: required when DATABASE_URL is set (base64 of 32 random bytes)");
    }
  }

  const rpId = read<string>("TWOFOLD_RP_ID", "localhost", (v) =>
    HOST_NAME.test(v) ? { ok: v.toLowerCase() } : { problem: "must be a host name without scheme or port, e.g. example.com" },
  );
  const rpOrigins = read<string[]>("TWOFOLD_RP_ORIGINS", ["http://localhost:3000"], (v) => {
    const origins = v.split(",").map((o) => o.trim());
    const bad = origins.find((o) => !isOrigin(o));
    return bad === undefined
      ? { ok: origins }
      : { problem: `"${bad}" is not an origin like https://example.com (comma-separated, no path)` };
  });

  /** 0 (off) or 1 s to 1 h: a ping every few ms would be a load of its own. */
  const keepAlive = (): number =>
    read<number>("TWOFOLD_KEEPALIVE_INTERVAL_MS", 30_000, (v) =>
      /^\d+$/.test(v) && (Number(v) === 0 || (Number(v) >= 1000 && Number(v) <= 3_600_000))
        ? { ok: Number(v) }
        : { problem: `must be 0 (off) or a whole number from 1000 to 3600000 (got "${v}")` },
    );

  const config: Config = {
    databaseUrl,
    dataDir: get("TWOFOLD_DATA_DIR") ?? "./data",
    addr,
    metricsAddr,
    logLevel,
    keys,
    pepper,
    issuer: text("TWOFOLD_ISSUER", "twofold", 64),
    totpWindow: int("TWOFOLD_TOTP_WINDOW", 1, 1, 3),
    dbPoolSize: int("TWOFOLD_DB_POOL_SIZE", 10, 1, 200),
    dbPipelines: int("TWOFOLD_DB_PIPELINES", 4, 0, 64),
    challengeMemory: int("TWOFOLD_CHALLENGE_MEMORY", 10_000, 0, 100_000),
    maxMessageBytes: int("TWOFOLD_MAX_MESSAGE_BYTES", 64 * 1024, 1024, 4 * 1024 * 1024),
    maxConcurrentStreams: int("TWOFOLD_MAX_CONCURRENT_STREAMS", 100, 1, 10_000),
    requestTimeoutMs: int("TWOFOLD_REQUEST_TIMEOUT_MS", 10_000, 100, 300_000),
    keepAliveIntervalMs: keepAlive(),
    rpId,
    rpName: text("TWOFOLD_RP_NAME", "twofold", 64),
    rpOrigins,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const u = new URL(value);
  return (u.protocol === "https:" || u.protocol === "http:") && u.origin === value;
}
