import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { authenticateApiKey } from "../../src/domain/api-keys/index.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { runTwofoldCli as twofold } from "../support/cli.js";
import { serveEnvFor } from "../e2e/helpers.js";

describe("the twofold CLI", () => {
  let app: TestApp;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    app = await createTestApp();
    env = serveEnvFor(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("exits 2 on a bad configuration, naming every bad variable", async () => {
    const r = await twofold(["migrate"], { DATABASE_URL: "mysql://nope", TWOFOLD_TOTP_WINDOW: "7", TWOFOLD_ADDR: "x" });
    expect(r.code).toBe(2);
    for (const name of ["DATABASE_URL", "TWOFOLD_TOTP_WINDOW", "TWOFOLD_ADDR", "TWOFOLD_KEYS", "TWOFOLD_PEPPER"]) {
      expect(r.stderr).toContain(`${name}:`);
    }
    expect(r.stdout).toBe("");
  });

  it("lists and revokes keys; a revoked key stops authenticating", async () => {
    const token = await createTestApiKey(app, "listed", "service");
    const caller = await authenticateApiKey(app.deps, token);
    const list = await twofold(["api-keys", "list", "--tenant", "listed"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(caller?.keyId ?? "missing");
    expect(list.stdout).not.toContain(token);

    const revoke = await twofold(["api-keys", "revoke", "--tenant", "listed", "--id", caller?.keyId ?? ""], env);
    expect(revoke.code).toBe(0);
    expect(await authenticateApiKey(app.deps, token)).toBeUndefined();
  });

  it("exits 2 naming a missing flag", async () => {
    const r = await twofold(["api-keys", "create", "--role", "admin"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--tenant");
  });

  it("generates a key line that TWOFOLD_KEYS accepts", async () => {
    const r = await twofold(["keys", "generate"], {});
    expect(r.code).toBe(0);
    const line = r.stdout.trim();
    const config = loadConfig({ TWOFOLD_KEYS: line });
    expect(config.keys).toHaveLength(1);
    expect(config.keys[0]?.key).toHaveLength(32);
  });

  it("reports rotation counts without printing secrets", async () => {
    const r = await twofold(["keys", "rotate"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("re-sealed: 0");
    expect(r.stdout).not.toContain(env["TWOFOLD_PEPPER"] ?? "missing");
  });
});
