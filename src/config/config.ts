/**
 * The service's configuration, read from the environment and validated once at
 * boot (see load.ts). Everything below the config layer takes these typed
 * values, never process.env.
 */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface KeyringKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface Config {
  /** Postgres server; undefined means embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Serves gRPC, Connect (HTTP/1.1 and HTTP/2) and gRPC-Web. */
  addr: ListenAddress;
  /** Serves Prometheus `GET /metrics`; undefined (the default) serves none. */
  metricsAddr?: ListenAddress | undefined;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** AES-256-GCM keys, newest first. Empty only before the embedded default fills it. */
  keys: KeyringKey[];
  /** 32-byte HMAC key for keyed hashes (API keys, backup codes, app passwords). */
  pepper: Buffer | undefined;
  /** Issuer shown by authenticator apps. */
  issuer: string;
  /** TOTP acceptance window in steps either side of the learned drift (1..3). */
  totpWindow: number;
  dbPoolSize: number;
  /** Pipelined connections for autocommit named statements, besides the pool (0: none). */
  dbPipelines: number;
  /** Challenges each replica remembers for a one-statement OTP Verify; 0 turns it off. */
  challengeMemory: number;
  /** Largest request or response message, bytes. */
  maxMessageBytes: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection. */
  maxConcurrentStreams: number;
  /** Deadline applied when the caller sends none, and the cap on any it sends. */
  requestTimeoutMs: number;
  /** How often an HTTP/2 connection is PINGed (and TCP keep-alive probes start), so dead peers are noticed; 0 turns it off. */
  keepAliveIntervalMs: number;
  /** WebAuthn relying party defaults for tenants that set none. */
  rpId: string;
  rpName: string;
  rpOrigins: string[];
}
