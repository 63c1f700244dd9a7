import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppPassword } from "../../src/domain/app-passwords/create.js";
import { revokeAppPassword } from "../../src/domain/app-passwords/revoke.js";
import { generateBackupCodes } from "../../src/domain/backup-codes/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { admitAttempt } from "../../src/domain/throttle/index.js";
import { FactorKind, FactorState, OtpAlgorithm } from "../../src/gen/twofold/v1/types_pb.js";
import { redeemBackupCode } from "../backup-codes/harness.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { adminCaller, adminClient, insertFactor, invalidFields, metaOf, snapshot } from "./admin-client.js";

const T0 = new Date("2026-03-01T10:00:00Z");

describe("GetUserState and ClearThrottle", () => {
  let app: TestApp;
  let clock: FixedClock;
  const acme = adminCaller("acme", "admin-key-9");
  beforeAll(async () => {
    clock = new FixedClock(T0);
    app = await createTestApp({ clock });
  });
  afterAll(async () => {
    await app.close();
  });

  it("answers an empty state for a user twofold has never seen", async () => {
    const state = await adminClient(app.deps, acme).getUserState({ userId: "stranger" });
    expect(state.factors).toEqual([]);
    expect(state.appPasswords).toEqual([]);
    expect(state.backupCodes).toMatchObject({ total: 0, remaining: 0 });
    expect(state.backupCodes?.generatedAt).toBeUndefined();
    expect(state.throttle).toMatchObject({ consecutiveFailures: 0 });
    expect(state.throttle?.blockedUntil).toBeUndefined();
  });

  it("shows factors, backup-code status, the live app passwords without the password, and the throttle", async () => {
    const userId = "alice@example.com";
    const meta = metaOf(acme);
    await insertFactor(app.db, "acme", userId, "totp", { id: "00000000-0000-4000-8000-00000000a001", at: T0, label: "phone" });
    await insertFactor(app.db, "acme", userId, "hotp", { id: "00000000-0000-4000-8000-00000000a002", at: T0, state: "pending" });
    const codes = await generateBackupCodes(app.deps, meta, userId, 8);
    await redeemBackupCode(app.deps, meta, userId, codes.codes[0] ?? "");
    const pw = await createAppPassword(app.deps, meta, { userId, name: "Thunderbird", scopes: ["mail"], ttlMs: undefined });
    const gone = await createAppPassword(app.deps, meta, { userId, name: "old phone", scopes: ["mail"], ttlMs: undefined });
    await revokeAppPassword(app.deps, meta, userId, gone.appPassword.id);
    for (let i = 0; i < 5; i++) await admitAttempt(app.deps, "acme", userId);

    const state = await adminClient(app.deps, acme).getUserState({ userId });
    expect(state.factors).toHaveLength(2);
    expect(state.factors[0]).toMatchObject({
      id: "00000000-0000-4000-8000-00000000a001",
      kind: FactorKind.TOTP,
      label: "phone",
      state: FactorState.ACTIVE,
      algorithm: OtpAlgorithm.SHA1,
      digits: 6,
      periodSeconds: 30,
      driftSeconds: 30,
    });
    expect(state.factors[1]).toMatchObject({ kind: FactorKind.HOTP, state: FactorState.PENDING });
    expect(state.backupCodes).toMatchObject({ total: 8, remaining: 7 });
    expect(state.appPasswords).toHaveLength(1);
    expect(state.appPasswords[0]).toMatchObject({ id: pw.appPassword.id, name: "Thunderbird", scopes: ["mail"] });
    expect(JSON.stringify(state.appPasswords, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(pw.password);
    expect(state.throttle?.consecutiveFailures).toBe(5);
    expect(state.throttle?.lastFailureAt && timestampDate(state.throttle.lastFailureAt)).toEqual(T0);
    // Five failures: the next attempt waits 2^(5-5) = 1 s.
    expect(state.throttle?.blockedUntil && timestampDate(state.throttle.blockedUntil)).toEqual(new Date(T0.getTime() + 1000));
  });

  it("reports no wait once the wait has passed, failures still counted", async () => {
    const userId = "waited";
    for (let i = 0; i < 5; i++) await admitAttempt(app.deps, "acme", userId);
    clock.advance(1500);
    try {
      const state = await adminClient(app.deps, acme).getUserState({ userId });
      expect(state.throttle?.consecutiveFailures).toBe(5);
      expect(state.throttle?.blockedUntil).toBeUndefined();
    } finally {
      clock.set(T0);
    }
  });

  it("clears a throttled user so the next attempt is admitted, audited with the admin key and client ip", async () => {
    const userId = "throttled";
    for (let i = 0; i < 5; i++) await admitAttempt(app.deps, "acme", userId);
    await expect(admitAttempt(app.deps, "acme", userId)).rejects.toBeInstanceOf(DomainError);

    await adminClient(app.deps, acme).clearThrottle({ userId });

    const state = await adminClient(app.deps, acme).getUserState({ userId });
    expect(state.throttle?.consecutiveFailures).toBe(0);
    expect(state.throttle?.blockedUntil).toBeUndefined();
    await expect(admitAttempt(app.deps, "acme", userId)).resolves.toBeUndefined();
    const audit = await app.db.query<{ api_key_id: string; details: Record<string, unknown> }>(
      `SELECT api_key_id, details FROM audit_events WHERE tenant_id = 'acme' AND user_id = $1 AND kind = 'admin.throttle_cleared'`,
      [userId],
    );
    expect(audit.rows).toEqual([{ api_key_id: "admin-key-9", details: { failures: 5 } }]);
  });

  it("clears only the caller's tenant's throttle", async () => {
    for (let i = 0; i < 5; i++) await admitAttempt(app.deps, "globex", "shared-name");
    await adminClient(app.deps, acme).clearThrottle({ userId: "shared-name" });
    const other = await adminClient(app.deps, adminCaller("globex")).getUserState({ userId: "shared-name" });
    expect(other.throttle?.consecutiveFailures).toBe(5);
  });

  it("refuses a bad user_id on GetUserState and ClearThrottle, changing nothing", async () => {
    const client = adminClient(app.deps, acme);
    const before = await snapshot(app.db);
    for (const userId of ["", "x".repeat(257), "é".repeat(129), "tab\tid", "nul\u0000id", "bad\uFFFDid"]) {
      expect(await invalidFields(client.getUserState({ userId }))).toEqual(["user_id"]);
      expect(await invalidFields(client.clearThrottle({ userId }))).toEqual(["user_id"]);
    }
    expect(await snapshot(app.db)).toEqual(before);
  });

  it("accepts a user_id of exactly 256 bytes of UTF-8", async () => {
    const state = await adminClient(app.deps, acme).getUserState({ userId: "é".repeat(128) });
    expect(state.factors).toEqual([]);
  });
});
