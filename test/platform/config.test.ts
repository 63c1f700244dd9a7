import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { unknownVariables, variablesMarkdown, VARIABLES } from "../../src/config/variables.js";

const KEY = Buffer.alloc(32, 7).toString("base64");
const PEPPER = Buffer.alloc(32, 9).toString("base64");

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("loadConfig", () => {
  it("starts from documented defaults with an empty environment", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      databaseUrl: undefined,
      dataDir: "./data",
      addr: { host: "127.0.0.1", port: 50051 },
      logLevel: "info",
      keys: [],
      pepper: undefined,
      issuer: "twofold",
      totpWindow: 1,
      dbPoolSize: 10,
      dbPipelines: 4,
      challengeMemory: 10_000,
      maxMessageBytes: 65536,
      maxConcurrentStreams: 100,
      requestTimeoutMs: 10_000,
      keepAliveIntervalMs: 30_000,
      rpId: "localhost",
      rpName: "twofold",
      rpOrigins: ["http://localhost:3000"],
    });
  });

  it("reads every variable it documents", () => {
    const c = loadConfig({
      DATABASE_URL: "postgres://u@db:5432/tf",
      TWOFOLD_DATA_DIR: "/var/lib/twofold",
      TWOFOLD_ADDR: "[::1]:6000",
      TWOFOLD_METRICS_ADDR: "0.0.0.0:9464",
      TWOFOLD_LOG_LEVEL: "debug",
      TWOFOLD_KEYS: `new:${KEY},old:${PEPPER}`,
      TWOFOLD_PEPPER: PEPPER,
      TWOFOLD_ISSUER: "Example Corp",
      TWOFOLD_TOTP_WINDOW: "3",
      TWOFOLD_DB_POOL_SIZE: "20",
      TWOFOLD_DB_PIPELINES: "0",
      TWOFOLD_CHALLENGE_MEMORY: "0",
      TWOFOLD_MAX_MESSAGE_BYTES: "131072",
      TWOFOLD_MAX_CONCURRENT_STREAMS: "50",
      TWOFOLD_REQUEST_TIMEOUT_MS: "2500",
      TWOFOLD_KEEPALIVE_INTERVAL_MS: "0",
      TWOFOLD_RP_ID: "example.com",
      TWOFOLD_RP_NAME: "Example",
      TWOFOLD_RP_ORIGINS: "https://example.com, https://login.example.com",
    });
    expect(c.databaseUrl).toBe("postgres://u@db:5432/tf");
    expect(c.addr).toEqual({ host: "::1", port: 6000 });
    expect(c.metricsAddr).toEqual({ host: "0.0.0.0", port: 9464 });
    expect(c.keys.map((k) => k.id)).toEqual(["new", "old"]);
    expect(c.keys[0]?.key.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(c.pepper?.equals(Buffer.alloc(32, 9))).toBe(true);
    expect(c).toMatchObject({
      dataDir: "/var/lib/twofold",
      logLevel: "debug",
      issuer: "Example Corp",
      totpWindow: 3,
      dbPoolSize: 20,
      dbPipelines: 0,
      challengeMemory: 0,
      maxMessageBytes: 131072,
      maxConcurrentStreams: 50,
      requestTimeoutMs: 2500,
      keepAliveIntervalMs: 0,
      rpId: "example.com",
      rpName: "Example",
      rpOrigins: ["https://example.com", "https://login.example.com"],
    });
    expect(VARIABLES.map((v) => v.name).sort()).toEqual(
      [
        "DATABASE_URL",
        "TWOFOLD_DATA_DIR",
        "TWOFOLD_ADDR",
        "TWOFOLD_METRICS_ADDR",
        "TWOFOLD_LOG_LEVEL",
        "TWOFOLD_KEYS",
        "TWOFOLD_PEPPER",
        "TWOFOLD_ISSUER",
        "TWOFOLD_TOTP_WINDOW",
        "TWOFOLD_DB_POOL_SIZE",
        "TWOFOLD_DB_PIPELINES",
        "TWOFOLD_CHALLENGE_MEMORY",
        "TWOFOLD_MAX_MESSAGE_BYTES",
        "TWOFOLD_MAX_CONCURRENT_STREAMS",
        "TWOFOLD_REQUEST_TIMEOUT_MS",
        "TWOFOLD_KEEPALIVE_INTERVAL_MS",
        "TWOFOLD_RP_ID",
        "TWOFOLD_RP_NAME",
        "TWOFOLD_RP_ORIGINS",
      ].sort(),
    );
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", TWOFOLD_ADDR: " " }).databaseUrl).toBeUndefined();
  });

  it.each([
    ["DATABASE_URL", "mysql://x/y"],
    ["TWOFOLD_ADDR", "localhost"],
    ["TWOFOLD_ADDR", "::1:50051"],
    ["TWOFOLD_ADDR", "127.0.0.1:70000"],
    ["TWOFOLD_LOG_LEVEL", "loud"],
    ["TWOFOLD_KEEPALIVE_INTERVAL_MS", "500"],
    ["TWOFOLD_KEYS", "k1:c2hvcnQ="],
    ["TWOFOLD_KEYS", `bad id:${KEY}`],
    ["TWOFOLD_KEYS", `a:${KEY},a:${KEY}`],
    ["TWOFOLD_PEPPER", "c2hvcnQ="],
    ["TWOFOLD_TOTP_WINDOW", "4"],
    ["TWOFOLD_TOTP_WINDOW", "0"],
    ["TWOFOLD_DB_POOL_SIZE", "ten"],
    ["TWOFOLD_CHALLENGE_MEMORY", "-1"],
    ["TWOFOLD_CHALLENGE_MEMORY", "100001"],
    ["TWOFOLD_MAX_MESSAGE_BYTES", "99999999"],
    ["TWOFOLD_MAX_CONCURRENT_STREAMS", "-1"],
    ["TWOFOLD_REQUEST_TIMEOUT_MS", "1.5"],
    ["TWOFOLD_RP_ID", "https://example.com"],
    ["TWOFOLD_RP_ORIGINS", "https://example.com/login"],
    ["TWOFOLD_ISSUER", "a\u0000b"],
  ])("names %s when it is %j", (name, value) => {
    const problems = problemsOf({ TWOFOLD_KEYS: `k1:${KEY}`, TWOFOLD_PEPPER: PEPPER, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
  });

  it("lists every bad variable at once", () => {
    const problems = problemsOf({ TWOFOLD_ADDR: "nope", TWOFOLD_TOTP_WINDOW: "9", TWOFOLD_LOG_LEVEL: "x", TWOFOLD_PEPPER: "!" });
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "TWOFOLD_ADDR",
      "TWOFOLD_LOG_LEVEL",
      "TWOFOLD_PEPPER",
      "TWOFOLD_TOTP_WINDOW",
    ]);
  });

  it("requires keys and pepper against a Postgres server", () => {
    const problems = problemsOf({ DATABASE_URL: "postgres://db/tf" });
    expect(problems.map((p) => p.split(":")[0])).toEqual(["TWOFOLD_KEYS", "TWOFOLD_PEPPER"]);
  });

  it("never quotes key material in a problem", () => {
    const secret = Buffer.alloc(31, 5).toString("base64");
    const err = (() => {
      try {
        loadConfig({ TWOFOLD_KEYS: `k:${secret}`, TWOFOLD_PEPPER: secret });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(err.message).not.toContain(secret);
    expect(err.problems).toHaveLength(2);
  });

  it("warns about TWOFOLD_ variables it does not know", () => {
    expect(unknownVariables({ TWOFOLD_LOG_LEVL: "debug", TWOFOLD_ADDR: "x:1", HOME: "/" })).toEqual(["TWOFOLD_LOG_LEVL"]);
  });

  it("documents every variable in one markdown table", () => {
    const table = variablesMarkdown().split("\n");
    expect(table[0]).toBe("| Variable | Default | Meaning |");
    expect(table).toHaveLength(VARIABLES.length + 2);
  });
});
