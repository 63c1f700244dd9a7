import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import { getUserState } from "../../src/domain/admin/index.js";
import { createAppPassword, verifyAppPassword } from "../../src/domain/app-passwords/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { challenge } from "../../src/domain/login/index.js";
import { loadProviderPolicy, parseProviderPolicy, setProviderPolicy } from "../../src/domain/policy/index.js";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";
import { adminCaller, insertFactor, metaOf } from "../admin/admin-client.js";
import { testConfig } from "../support/app.js";
import { seededRandom } from "../support/random.js";

const T0 = new Date("2026-03-01T10:00:00Z");

/** The provider policy on the embedded store (PGlite), which `twofold serve` uses without DATABASE_URL. */
describe("provider policy on the embedded store", () => {
  let dir: string;
  let deps: AppDeps;
  const meta = metaOf(adminCaller("acme", "admin-key-e"));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "twofold-policy-"));
    const db = await openEmbeddedDb(dir);
    await migrate(db);
    const config = testConfig();
    deps = {
      config,
      db,
      keyring: createKeyring(config.keys, config.pepper ?? Buffer.alloc(32)),
      clock: new FixedClock(T0),
      random: seededRandom("policy-embedded"),
      logger: pino({ level: "silent" }),
    };
  });
  afterAll(async () => {
    await deps.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores the policy, and Challenge, GetUserState and app passwords follow it", async () => {
    const policy = parseProviderPolicy({
      disabledKinds: ["totp"],
      totp: undefined,
      appPasswords: { maxLifetimeMs: 86_400_000 },
    });
    await insertFactor(deps.db, "acme", "bob", "totp", { id: "00000000-0000-4000-8000-0000000000e1", at: T0 });
    const created = await createAppPassword(deps, meta, { userId: "bob", name: "Mail", scopes: ["imap"], ttlMs: undefined });
    await setProviderPolicy(deps, meta, policy);
    expect(await loadProviderPolicy(deps.db, "acme")).toEqual(policy);
    expect((await challenge(deps, meta, { userId: "bob", userGroups: [] })).providers).toEqual([]);
    expect((await getUserState(deps, "acme", "bob")).factors.map((f) => f.disabledByPolicy)).toEqual([true]);
    expect(created.appPassword.expiresAt).toBeUndefined();
    const capped = await createAppPassword(deps, meta, { userId: "bob", name: "Phone", scopes: ["imap"], ttlMs: undefined });
    expect(capped.appPassword.expiresAt?.getTime()).toBe(T0.getTime() + 86_400_000);
    const refused = await createAppPassword(deps, meta, { userId: "bob", name: "Tablet", scopes: ["imap"], ttlMs: 2 * 86_400_000 }).catch((e: unknown) => e);
    expect(refused instanceof DomainError && refused.details.reason).toBe("PROVIDER_POLICY_LIMIT");
    await setProviderPolicy(deps, meta, parseProviderPolicy({ disabledKinds: ["app_passwords"], totp: undefined, appPasswords: undefined }));
    expect(await verifyAppPassword(deps, meta, { userId: "bob", password: created.password, requiredScope: "imap" })).toEqual({
      ok: false,
      reason: "provider_disabled",
    });
  });
});
