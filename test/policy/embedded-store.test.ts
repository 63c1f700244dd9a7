import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { getUserState } from "../../src/domain/admin/index.js";
import { createAppPassword, verifyAppPassword } from "../../src/domain/app-passwords/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { challenge } from "../../src/domain/login/index.js";
import { loadProviderPolicy, parseProviderPolicy, setProviderPolicy } from "../../src/domain/policy/index.js";
import { adminCaller, insertFactor, metaOf } from "../admin/admin-client.js";
import { openEmbeddedApp } from "../support/embedded-app.js";

const T0 = new Date("2026-03-01T10:00:00Z");

/** The provider policy on the embedded store (PGlite), which `twofold serve` uses without DATABASE_URL. */
describe("provider policy on the embedded store", () => {
  let deps: AppDeps;
  let close: () => Promise<void>;
  const meta = metaOf(adminCaller("acme", "admin-key-e"));
  beforeAll(async () => {
    ({ deps, close } = await openEmbeddedApp(new FixedClock(T0), "policy-embedded"));
  });
  afterAll(async () => close());

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
