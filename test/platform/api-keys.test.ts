import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authenticateApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from "../../src/domain/api-keys/index.js";
import { DomainError } from "../../src/domain/errors.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";

const run = promisify(execFile);

describe("API keys", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("authenticates a new key as its tenant and role", async () => {
    const created = await createApiKey(app.deps, { tenant: "acme", role: "service", name: "web" });
    expect(created.token).toMatch(/^tf_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(await authenticateApiKey(app.deps, created.token)).toEqual({
      tenant: "acme",
      keyId: created.apiKey.id,
      role: "service",
    });
  });

  it("refuses a revoked key from the very next call", async () => {
    const token = await createTestApiKey(app, "acme", "admin");
    const caller = await authenticateApiKey(app.deps, token);
    expect(caller?.role).toBe("admin");
    expect(await revokeApiKey(app.deps, "acme", caller?.keyId ?? "")).toBe(true);
    expect(await authenticateApiKey(app.deps, token)).toBeUndefined();
    expect(await revokeApiKey(app.deps, "acme", caller?.keyId ?? "")).toBe(false);
  });

  it("refuses unknown, malformed and altered keys", async () => {
    const token = await createTestApiKey(app, "acme", "service");
    const last = token.at(-1) === "A" ? "B" : "A";
    expect(await authenticateApiKey(app.deps, `${token.slice(0, -1)}${last}`)).toBeUndefined();
    expect(await authenticateApiKey(app.deps, "tf_0000000000000000_" + "A".repeat(43))).toBeUndefined();
    expect(await authenticateApiKey(app.deps, "not a key")).toBeUndefined();
    expect(await authenticateApiKey(app.deps, "")).toBeUndefined();
  });

  it("stores no key material: neither the key nor its secret part occurs in the row", async () => {
    const { token, apiKey } = await createApiKey(app.deps, { tenant: "acme", role: "service" });
    const secretPart = token.slice(token.lastIndexOf("_") + 1);
    const r = await app.db.query<{ row: string }>("SELECT a::text AS row FROM api_keys a WHERE id = $1", [apiKey.id]);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]?.row).not.toContain(token);
    expect(r.rows[0]?.row).not.toContain(secretPart);
    expect(r.rows[0]?.row).not.toContain(Buffer.from(token).toString("hex"));
  });

  it("lists a tenant's keys without their secrets, and only that tenant's", async () => {
    await createApiKey(app.deps, { tenant: "other", role: "service", name: "elsewhere" });
    const keys = await listApiKeys(app.deps, "other");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ tenant: "other", role: "service", name: "elsewhere", revokedAt: undefined });
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(["createdAt", "id", "name", "revokedAt", "role", "tenant"]);
  });

  it("audits creation and revocation with the key id and role, never the key", async () => {
    const { token, apiKey } = await createApiKey(app.deps, { tenant: "audited", role: "admin", name: "ops" });
    await revokeApiKey(app.deps, "audited", apiKey.id);
    const r = await app.db.query<{ kind: string; api_key_id: string; details: Record<string, unknown>; all: string }>(
      "SELECT kind, api_key_id, details, e::text AS all FROM audit_events e WHERE tenant_id = 'audited' ORDER BY id",
    );
    expect(r.rows.map((e) => [e.kind, e.api_key_id, e.details["role"]])).toEqual([
      ["api_key.created", apiKey.id, "admin"],
      ["api_key.revoked", apiKey.id, "admin"],
    ]);
    for (const e of r.rows) expect(e.all).not.toContain(token.slice(-20));
  });

  it("rejects a bad tenant and role, naming both, and stores nothing", async () => {
    const before = await app.db.query("SELECT 1 FROM api_keys");
    const err = await createApiKey(app.deps, { tenant: "no spaces!", role: "root" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).details.violations?.map((v) => v.field)).toEqual(["tenant", "role"]);
    expect((await app.db.query("SELECT 1 FROM api_keys")).rows).toHaveLength(before.rows.length);
  });

  it("answers NOT_FOUND when revoking an unknown key", async () => {
    const err = await revokeApiKey(app.deps, "acme", "feedfeedfeedfeed").catch((e: unknown) => e);
    expect((err as DomainError).kind).toBe("not_found");
  });

  it("twofold api-keys create prints the key alone on the last line of stdout", async () => {
    const keys = app.deps.config.keys.map((k) => `${k.id}:${k.key.toString("base64")}`).join(",");
    const { stdout } = await run(
      "node_modules/.bin/tsx",
      ["src/cli/main.ts", "api-keys", "create", "--tenant", "cli-tenant", "--role", "admin", "--name", "from the cli"],
      {
        env: {
          PATH: process.env["PATH"],
          DATABASE_URL: app.dbUrl,
          TWOFOLD_KEYS: keys,
          TWOFOLD_PEPPER: app.deps.config.pepper?.toString("base64"),
        },
      },
    );
    const lines = stdout.trimEnd().split("\n");
    const last = lines.at(-1) ?? "";
    expect(last).toMatch(/^tf_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(await authenticateApiKey(app.deps, last)).toMatchObject({ tenant: "cli-tenant", role: "admin" });
  });
});
