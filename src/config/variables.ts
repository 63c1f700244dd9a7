/**
 * Every environment variable twofold reads, with its default and meaning: the
 * one list behind loadConfig, `twofold --help` and docs/configuration.md.
 */
export interface Variable {
  name: string;
  default: string;
  meaning: string;
}

/** In the order operators meet them: storage, network, logging, secrets, behaviour. */
export const VARIABLES: readonly Variable[] = [
  { name: "DATABASE_URL", default: "(unset: embedded PGlite)", meaning: "Postgres server, e.g. `postgres://user:pass@host:5432/twofold`. Unset: an embedded Postgres (PGlite) in `TWOFOLD_DATA_DIR/pgdata`." },
  { name: "TWOFOLD_DATA_DIR", default: "`./data`", meaning: "Folder for the embedded database and the generated development key file." },
  { name: "TWOFOLD_ADDR", default: "`127.0.0.1:50051`", meaning: "Listen address, `host:port` or `[ipv6]:port`; serves gRPC, Connect and gRPC-Web." },
  { name: "TWOFOLD_METRICS_ADDR", default: "(unset: off)", meaning: "Listen address of Prometheus `GET /metrics` (no API key; keep it private), e.g. `0.0.0.0:9464`. Apart from `TWOFOLD_ADDR`." },
  { name: "TWOFOLD_LOG_LEVEL", default: "`info`", meaning: "`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. JSON lines on stdout." },
  { name: "TWOFOLD_KEYS", default: "(dev file when embedded)", meaning: "Keyring for secrets at rest: `id1:<base64 32 bytes>,id2:…`, newest first; the first seals, all open. Required with `DATABASE_URL`. `twofold keys generate` makes one." },
  { name: "TWOFOLD_PEPPER", default: "(dev file when embedded)", meaning: "Base64 of 32 bytes: HMAC key for API keys, backup codes and app passwords. Required with `DATABASE_URL`; changing it invalidates all of those." },
  { name: "TWOFOLD_ISSUER", default: "`twofold`", meaning: "Issuer shown by authenticator apps (`otpauth://` URIs)." },
  { name: "TWOFOLD_TOTP_WINDOW", default: "`1`", meaning: "TOTP steps accepted either side of the learned drift, 1..3." },
  { name: "TWOFOLD_DB_POOL_SIZE", default: "`10`", meaning: "Connections in the Postgres pool, 1..200." },
  { name: "TWOFOLD_DB_PIPELINES", default: "`4`", meaning: "Pipelined Postgres connections for the hot path's single statements (Challenge, Verify, redemption, enrolment), besides the pool: each statement is written at once, without waiting for the ones ahead of it to be answered. 0 sends everything through the pool (e.g. behind a pooler that does not take pipelined statements). 0..64." },
  { name: "TWOFOLD_CHALLENGE_MEMORY", default: "`10000`", meaning: "Login transactions each replica remembers from its Challenge, so that an OTP Verify reaching the same replica is one database statement instead of two; each entry lives until its Verify or its expiry. An entry holds the user's OTP rows (sealed secrets included), up to a few KB. 0 turns it off (every Verify takes two). 0..100000." },
  { name: "TWOFOLD_MAX_MESSAGE_BYTES", default: "`65536`", meaning: "Largest request or response message, 1024..4194304 bytes." },
  { name: "TWOFOLD_MAX_CONCURRENT_STREAMS", default: "`100`", meaning: "HTTP/2 concurrent streams per connection, 1..10000." },
  { name: "TWOFOLD_REQUEST_TIMEOUT_MS", default: "`10000`", meaning: "Deadline for a request that sends none, and the cap on any it sends; also the database statement timeout. A call that answers DEADLINE_EXCEEDED changed nothing: its statements are cancelled at the deadline and no commit starts after it. 100..300000." },
  { name: "TWOFOLD_KEEPALIVE_INTERVAL_MS", default: "`30000`", meaning: "How often each HTTP/2 connection is PINGed (a peer that does not answer within 20 s is dropped) and TCP keep-alive probes start on idle connections, so dead peers are noticed. 0 turns both off; else 1000..3600000." },
  { name: "TWOFOLD_RP_ID", default: "`localhost`", meaning: "WebAuthn relying party id (a host name) for tenants that set none." },
  { name: "TWOFOLD_RP_NAME", default: "`twofold`", meaning: "WebAuthn relying party name shown by authenticators." },
  { name: "TWOFOLD_RP_ORIGINS", default: "`http://localhost:3000`", meaning: "Comma-separated origins WebAuthn responses may come from." },
];

/** `TWOFOLD_*` variables that are set but not ours: likely typos, worth a warning. */
export function unknownVariables(env: Record<string, string | undefined>): string[] {
  const known = new Set(VARIABLES.map((v) => v.name));
  return Object.keys(env)
    .filter((k) => k.startsWith("TWOFOLD_") && !known.has(k))
    .sort();
}

/** The markdown table for docs/configuration.md and the README. */
export function variablesMarkdown(): string {
  const rows = VARIABLES.map((v) => `| \`${v.name}\` | ${v.default} | ${v.meaning} |`);
  return ["| Variable | Default | Meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
