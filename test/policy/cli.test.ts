import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProviderPolicy } from "../../src/domain/policy/index.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { runTwofoldCli as twofold } from "../support/cli.js";
import { serveEnvFor } from "../e2e/helpers.js";

describe("twofold provider-policy", () => {
  let app: TestApp;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    app = await createTestApp();
    env = serveEnvFor(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("sets a tenant's policy, audited with key id cli, and gets it back; other tenants keep the default", async () => {
    const set = await twofold(
      ["provider-policy", "set", "--tenant", "cli-set", "--disable", "app_passwords,HOTP", "--totp-digits", "6", "--totp-hardware-only"],
      env,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(await loadProviderPolicy(app.db, "cli-set")).toEqual({
      disabledKinds: ["hotp", "app_passwords"],
      totp: { algorithms: ["SHA1", "SHA256", "SHA512"], digits: [6], hardwareOnly: true },
      appPasswordMaxLifetimeMs: undefined,
    });
    const got = await twofold(["provider-policy", "get", "--tenant", "cli-set"], env);
    expect(got.stdout.split("\n")).toEqual([
      "enabled: totp, webauthn, passwordless, backup_codes",
      "disabled: hotp, app_passwords",
      "totp limits: algorithms SHA1, SHA256, SHA512; digits 6; hardware tokens only",
      "app password max lifetime: none",
      "",
    ]);
    const audit = await app.db.query<{ api_key_id: string }>(
      `SELECT api_key_id FROM audit_events WHERE tenant_id = 'cli-set' AND kind = 'admin.provider_policy_set'`,
    );
    expect(audit.rows).toEqual([{ api_key_id: "cli" }]);
    const other = await twofold(["provider-policy", "get", "--tenant", "cli-other"], env);
    expect(other.stdout).toContain("disabled: none");

    const lifetime = await twofold(["provider-policy", "set", "--tenant", "cli-set", "--app-password-max-lifetime", "90d"], env);
    expect(lifetime.code, lifetime.stderr).toBe(0);
    expect(await loadProviderPolicy(app.db, "cli-set")).toEqual({ disabledKinds: [], totp: undefined, appPasswordMaxLifetimeMs: 90 * 86_400_000 });
  });

  it("exits 2 naming every bad field, and changes nothing", async () => {
    const r = await twofold(
      ["provider-policy", "set", "--tenant", "cli-bad", "--disable", "sms", "--totp-algorithms", "MD5", "--app-password-max-lifetime", "forever"],
      env,
    );
    expect(r.code).toBe(2);
    for (const field of ["disabled_kinds[0]", "totp.allowed_algorithms[0]", "app_passwords.max_lifetime"]) expect(r.stderr).toContain(`${field}:`);
    const rows = await app.db.query(`SELECT 1 FROM provider_policies WHERE tenant_id = 'cli-bad'`);
    expect(rows.rowCount).toBe(0);
    expect((await twofold(["provider-policy", "show", "--tenant", "cli-bad"], env)).code).toBe(2);
    expect((await twofold(["provider-policy", "get"], env)).stderr).toContain("--tenant");
  });
});
