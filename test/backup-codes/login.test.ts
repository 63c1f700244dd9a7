import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupCodeLoginProvider, verifyBackupCodeProof } from "../../src/domain/backup-codes/backup-code-login.js";
import { generateBackupCodes } from "../../src/domain/backup-codes/generate.js";
import { countRemaining } from "../../src/domain/backup-codes/status.js";
import { FixedClock } from "../../src/domain/clock.js";
import { TransactionSpentError, type LoginAttempt } from "../../src/domain/login/provider.js";
import { checkBackupCodeProof } from "../../src/rpc/backup-code-validate.js";
import type { Violations } from "../../src/rpc/validate/fields.js";
import type { Queryable } from "../../src/store/db.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { auditKinds, metaFor, START } from "./harness.js";

let app: TestApp;
const clock = new FixedClock(START);

beforeAll(async () => {
  app = await createTestApp({ clock });
});
afterAll(async () => app.close());

/** An open login transaction row and an attempt whose spend() marks it spent, as the login flow's does. */
async function openAttempt(userId: string): Promise<LoginAttempt & { id: string }> {
  const id = app.deps.random.uuid();
  await app.db.query(
    `INSERT INTO login_transactions (tenant_id, user_id, id, purpose, created_at, expires_at)
     VALUES ('tenant-a', $1, $2, 'second_factor', $3, $3::timestamptz + interval '5 minutes')`,
    [userId, id, START],
  );
  return {
    id,
    meta: metaFor(),
    userId,
    transactionId: id,
    now: clock.now(),
    async spend(q: Queryable) {
      const r = await q.query("UPDATE login_transactions SET spent_at = $2 WHERE id = $1 AND spent_at IS NULL RETURNING id", [id, clock.now()]);
      return r.rows.length === 1;
    },
  };
}

async function spentAt(id: string): Promise<Date | null> {
  const r = await app.db.query<{ spent_at: Date | null }>("SELECT spent_at FROM login_transactions WHERE id = $1", [id]);
  return r.rows[0]?.spent_at ?? null;
}

describe("backup codes in the login flow", () => {
  it("offers backup codes only while some remain, and never as a reason to require 2FA", async () => {
    expect(await backupCodeLoginProvider.options(app.deps, "tenant-a", "offered")).toBeUndefined();
    const { codes } = await generateBackupCodes(app.deps, metaFor(), "offered", 1);
    expect(await backupCodeLoginProvider.options(app.deps, "tenant-a", "offered")).toEqual({
      provider: "backup_code",
      factors: [],
      turnsOnSecondFactor: false,
    });
    const attempt = await openAttempt("offered");
    await verifyBackupCodeProof(app.deps, attempt, { kind: "backup_code", code: codes[0] ?? "" });
    expect(await backupCodeLoginProvider.options(app.deps, "tenant-a", "offered")).toBeUndefined();
  });

  it("spends the code and the transaction together on success", async () => {
    const { codes } = await generateBackupCodes(app.deps, metaFor(), "login", 4);
    const attempt = await openAttempt("login");
    const outcome = await verifyBackupCodeProof(app.deps, attempt, { kind: "backup_code", code: codes[0]?.toLowerCase() ?? "" });
    expect(outcome).toEqual({ verified: true, provider: "backup_code", factorId: "", amr: ["otp", "mfa"], driftSeconds: 0, resynced: false });
    expect(await spentAt(attempt.id)).toEqual(START);
    expect(await countRemaining(app.deps, "tenant-a", "login")).toBe(3);
  });

  it("refuses a wrong code without spending the transaction", async () => {
    await generateBackupCodes(app.deps, metaFor(), "wrong", 2);
    const attempt = await openAttempt("wrong");
    const outcome = await verifyBackupCodeProof(app.deps, attempt, { kind: "backup_code", code: "0000-0000-0000-0000" });
    expect(outcome).toEqual({ verified: false, provider: "backup_code", reason: "wrong_code", factorId: "" });
    expect(await spentAt(attempt.id)).toBeNull();
  });

  it("keeps the code unused when the transaction was spent by another attempt", async () => {
    const { codes } = await generateBackupCodes(app.deps, metaFor(), "late", 2);
    const attempt = await openAttempt("late");
    await attempt.spend(app.db);
    await expect(verifyBackupCodeProof(app.deps, attempt, { kind: "backup_code", code: codes[0] ?? "" })).rejects.toBeInstanceOf(TransactionSpentError);
    expect(await countRemaining(app.deps, "tenant-a", "late")).toBe(2);
    expect(await auditKinds(app.db, "late")).toEqual(["backup_codes.generated"]);
  });

  it("treats only empty, oversized or control-character proofs as bad input", () => {
    const fieldsFor = (code: string): string[] => {
      const v: Violations = [];
      checkBackupCodeProof(v, "proof.backup_code.code", code);
      return v.map((x) => x.field);
    };
    for (const bad of ["", "A".repeat(65), "0123-4567\n", "0123\u0000"]) expect(fieldsFor(bad)).toEqual(["proof.backup_code.code"]);
    for (const evaluated of ["not a code at all", "0123-4567-89ab-cdef", "UUUU"]) expect(fieldsFor(evaluated)).toEqual([]);
  });
});
