import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppPassword } from "../../src/domain/app-passwords/create.js";
import { revokeAppPassword } from "../../src/domain/app-passwords/revoke.js";
import { verifyAppPassword } from "../../src/domain/app-passwords/verify.js";
import { generateBackupCodes } from "../../src/domain/backup-codes/index.js";
import type { Caller } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { challenge } from "../../src/domain/login/index.js";
import { setEnforcementPolicy } from "../../src/domain/policy/index.js";
import { ResetScope } from "../../src/gen/twofold/v1/admin_pb.js";
import { FactorKind } from "../../src/gen/twofold/v1/types_pb.js";
import { redeemBackupCode } from "../backup-codes/harness.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { adminCaller, adminClient, insertFactor, invalidFields, metaOf, snapshot } from "./admin-client.js";

const T0 = new Date("2026-03-01T10:00:00Z");

/** What one user holds before a reset, and the secrets to try afterwards. */
interface Holdings {
  backupCode: string;
  appPassword: string;
}

let uuidSeq = 0;
const nextUuid = (): string => `00000000-0000-4000-8000-${String(++uuidSeq).padStart(12, "0")}`;

/**
 * Gives the user one factor of every kind (plus a pending TOTP), a backup code
 * list, a live app password and an already revoked one.
 */
async function equip(app: TestApp, caller: Caller, userId: string): Promise<Holdings> {
  const meta = metaOf(caller);
  const tenant = caller.tenant;
  await insertFactor(app.db, tenant, userId, "totp", { id: nextUuid(), at: T0 });
  await insertFactor(app.db, tenant, userId, "totp", { id: nextUuid(), at: T0, state: "pending" });
  await insertFactor(app.db, tenant, userId, "hotp", { id: nextUuid(), at: T0 });
  await insertFactor(app.db, tenant, userId, "webauthn", { id: nextUuid(), at: T0 });
  await insertFactor(app.db, tenant, userId, "passwordless", { id: nextUuid(), at: T0 });
  const codes = await generateBackupCodes(app.deps, meta, userId, 10);
  const live = await createAppPassword(app.deps, meta, { userId, name: "phone", scopes: ["mail"], ttlMs: undefined });
  const old = await createAppPassword(app.deps, meta, { userId, name: "old laptop", scopes: ["mail"], ttlMs: undefined });
  await revokeAppPassword(app.deps, meta, userId, old.appPassword.id);
  return { backupCode: codes.codes[0] ?? "", appPassword: live.password };
}

async function factorKinds(app: TestApp, tenant: string, userId: string): Promise<string[]> {
  const r = await app.db.query<{ kind: string }>(
    `SELECT kind FROM factors WHERE tenant_id = $1 AND user_id = $2 ORDER BY kind`,
    [tenant, userId],
  );
  return r.rows.map((row) => row.kind);
}

async function backupCodeUsable(app: TestApp, caller: Caller, userId: string, code: string): Promise<boolean> {
  return (await redeemBackupCode(app.deps, metaOf(caller), userId, code)).ok;
}

async function appPasswordOutcome(app: TestApp, caller: Caller, userId: string, password: string): Promise<string> {
  const out = await verifyAppPassword(app.deps, metaOf(caller), { userId, password, requiredScope: "mail" });
  return out.ok ? "ok" : out.reason;
}

describe("ResetSecondFactor", () => {
  let app: TestApp;
  const acme = adminCaller("acme", "admin-key-42");
  beforeAll(async () => {
    app = await createTestApp({ clock: new FixedClock(T0) });
  });
  afterAll(async () => {
    await app.close();
  });

  const oneKind: { scope: ResetScope; kind: string; removed: number }[] = [
    { scope: ResetScope.TOTP, kind: "totp", removed: 2 },
    { scope: ResetScope.HOTP, kind: "hotp", removed: 1 },
    { scope: ResetScope.WEBAUTHN, kind: "webauthn", removed: 1 },
    { scope: ResetScope.PASSWORDLESS, kind: "passwordless", removed: 1 },
  ];
  for (const { scope, kind, removed } of oneKind) {
    it(`removes every ${kind} factor, pending ones too, and nothing else`, async () => {
      const userId = `user-${kind}`;
      const held = await equip(app, acme, userId);
      const res = await adminClient(app.deps, acme).resetSecondFactor({ userId, scope });
      expect(res).toMatchObject({ factorsRemoved: removed, backupCodesRemoved: false, appPasswordsRevoked: 0 });
      const left = await factorKinds(app, "acme", userId);
      expect(left).not.toContain(kind);
      expect(left).toHaveLength(5 - removed);
      expect(await backupCodeUsable(app, acme, userId, held.backupCode)).toBe(true);
      expect(await appPasswordOutcome(app, acme, userId, held.appPassword)).toBe("ok");
    });
  }

  it("deletes the backup code list so no code redeems, and nothing else", async () => {
    const userId = "user-codes";
    const held = await equip(app, acme, userId);
    const res = await adminClient(app.deps, acme).resetSecondFactor({ userId, scope: ResetScope.BACKUP_CODES });
    expect(res).toMatchObject({ factorsRemoved: 0, backupCodesRemoved: true, appPasswordsRevoked: 0 });
    expect(await backupCodeUsable(app, acme, userId, held.backupCode)).toBe(false);
    const state = await adminClient(app.deps, acme).getUserState({ userId });
    expect(state.backupCodes).toMatchObject({ total: 0, remaining: 0 });
    expect(await factorKinds(app, "acme", userId)).toHaveLength(5);
    expect(await appPasswordOutcome(app, acme, userId, held.appPassword)).toBe("ok");
  });

  it("revokes the live app passwords, keeping their rows as history", async () => {
    const userId = "user-apppw";
    const held = await equip(app, acme, userId);
    const res = await adminClient(app.deps, acme).resetSecondFactor({ userId, scope: ResetScope.APP_PASSWORDS });
    expect(res).toMatchObject({ factorsRemoved: 0, backupCodesRemoved: false, appPasswordsRevoked: 1 });
    expect(await appPasswordOutcome(app, acme, userId, held.appPassword)).toBe("revoked");
    const revoked = await app.db.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM app_passwords WHERE tenant_id = 'acme' AND user_id = $1 AND revoked_at IS NOT NULL`,
      [userId],
    );
    expect(revoked.rows[0]?.n).toBe(2);
    const state = await adminClient(app.deps, acme).getUserState({ userId });
    expect(state.appPasswords).toEqual([]);
    expect(await backupCodeUsable(app, acme, userId, held.backupCode)).toBe(true);
  });

  it("removes everything with ALL, audited with the admin key, leaving other users and tenants alone", async () => {
    const userId = "user-all";
    const held = await equip(app, acme, userId);
    const neighbour = await equip(app, acme, "neighbour");
    const otherTenant = adminCaller("globex");
    const sameNameElsewhere = await equip(app, otherTenant, userId);

    const res = await adminClient(app.deps, acme).resetSecondFactor({ userId, scope: ResetScope.ALL });
    expect(res).toMatchObject({ factorsRemoved: 5, backupCodesRemoved: true, appPasswordsRevoked: 1 });
    expect(await factorKinds(app, "acme", userId)).toEqual([]);
    expect(await backupCodeUsable(app, acme, userId, held.backupCode)).toBe(false);
    expect(await appPasswordOutcome(app, acme, userId, held.appPassword)).toBe("revoked");
    const state = await adminClient(app.deps, acme).getUserState({ userId });
    expect(state.factors).toEqual([]);

    expect(await factorKinds(app, "acme", "neighbour")).toHaveLength(5);
    expect(await backupCodeUsable(app, acme, "neighbour", neighbour.backupCode)).toBe(true);
    expect(await factorKinds(app, "globex", userId)).toHaveLength(5);
    expect(await backupCodeUsable(app, otherTenant, userId, sameNameElsewhere.backupCode)).toBe(true);
    expect(await appPasswordOutcome(app, otherTenant, userId, sameNameElsewhere.appPassword)).toBe("ok");

    const audit = await app.db.query<{ kind: string; api_key_id: string; factor_id: string; details: Record<string, unknown> }>(
      `SELECT kind, api_key_id, factor_id, details FROM audit_events
       WHERE tenant_id = 'acme' AND user_id = $1 AND kind IN ('admin.second_factor_reset', 'factor.removed') ORDER BY id`,
      [userId],
    );
    expect(audit.rows.filter((r) => r.kind === "factor.removed")).toHaveLength(5);
    expect(audit.rows.every((r) => r.api_key_id === "admin-key-42")).toBe(true);
    expect(audit.rows.at(-1)).toMatchObject({
      kind: "admin.second_factor_reset",
      details: { scope: "all", factors_removed: 5, backup_codes_removed: true, app_passwords_revoked: 1 },
    });
    // Nothing secret rides along in the trail.
    const trail = JSON.stringify(audit.rows);
    expect(trail).not.toContain(held.backupCode);
    expect(trail).not.toContain(held.appPassword);
  });

  it("answers zeros for a user with nothing, and still audits the request", async () => {
    const res = await adminClient(app.deps, acme).resetSecondFactor({ userId: "nobody", scope: ResetScope.ALL });
    expect(res).toMatchObject({ factorsRemoved: 0, backupCodesRemoved: false, appPasswordsRevoked: 0 });
    const audit = await app.db.query(`SELECT 1 FROM audit_events WHERE tenant_id = 'acme' AND user_id = 'nobody' AND kind = 'admin.second_factor_reset'`);
    expect(audit.rows).toHaveLength(1);
  });

  it("refuses an unspecified or unknown scope and a bad user_id, naming each, changing nothing", async () => {
    await equip(app, acme, "kept");
    const client = adminClient(app.deps, acme);
    const before = await snapshot(app.db);
    expect(await invalidFields(client.resetSecondFactor({ userId: "kept" }))).toEqual(["scope"]);
    expect(await invalidFields(client.resetSecondFactor({ userId: "kept", scope: 99 as ResetScope }))).toEqual(["scope"]);
    expect(await invalidFields(client.resetSecondFactor({ userId: "", scope: ResetScope.UNSPECIFIED }))).toEqual(["user_id", "scope"]);
    expect(await invalidFields(client.resetSecondFactor({ userId: "a\u0007b", scope: ResetScope.ALL }))).toEqual(["user_id"]);
    expect(await snapshot(app.db)).toEqual(before);
  });

  it("lists the factors it would remove in GetUserState beforehand, pending ones marked", async () => {
    await equip(app, acme, "shown");
    const state = await adminClient(app.deps, acme).getUserState({ userId: "shown" });
    const kinds = state.factors.map((f) => FactorKind[f.kind]).sort();
    expect(kinds).toEqual(["HOTP", "PASSWORDLESS", "TOTP", "TOTP", "WEBAUTHN"]);
    expect(state.factors.filter((f) => f.pendingExpiresAt !== undefined)).toHaveLength(1);
  });

  it("lets the user log in with the first factor alone once nothing is left, or sends them to enrol where policy enforces", async () => {
    const userId = "login-after-reset";
    await insertFactor(app.db, "acme", userId, "totp", { id: nextUuid(), at: T0 });
    const before = await challenge(app.deps, metaOf(acme), { userId, userGroups: ["finance"] });
    expect(before.secondFactorRequired).toBe(true);

    await adminClient(app.deps, acme).resetSecondFactor({ userId, scope: ResetScope.ALL });

    const after = await challenge(app.deps, metaOf(acme), { userId, userGroups: ["finance"] });
    expect(after.secondFactorRequired).toBe(false);
    expect(after.enrolmentRequired).toBe(false);
    await setEnforcementPolicy(app.deps, metaOf(acme), { enforced: false, includeGroups: ["finance"], excludeGroups: [] });
    const enforced = await challenge(app.deps, metaOf(acme), { userId, userGroups: ["finance"] });
    expect(enforced).toMatchObject({ secondFactorRequired: false, enrolmentRequired: true });
  });
});
