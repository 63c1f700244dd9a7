import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { generateBackupCodes, getBackupCodeStatus } from "../../src/domain/backup-codes/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { challenge, verifyLogin } from "../../src/domain/login/index.js";
import { create } from "@bufbuild/protobuf";
import { VerifyRequestSchema } from "../../src/gen/twofold/v1/authentication_pb.js";
import { parseVerify } from "../../src/rpc/validate/authentication.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { countingDb, type CountingDb } from "../support/counting-db.js";
import { auditKinds, metaFor, START } from "./harness.js";

let app: TestApp;
let db: CountingDb;
let deps: AppDeps;
const clock = new FixedClock(START);

beforeAll(async () => {
  app = await createTestApp({ clock });
  db = countingDb(app.db);
  deps = { ...app.deps, db };
});
afterAll(async () => app.close());

async function spentAt(id: string): Promise<Date | null> {
  const r = await app.db.query<{ spent_at: Date | null }>("SELECT spent_at FROM login_transactions WHERE id = $1", [id]);
  return r.rows[0]?.spent_at ?? null;
}

async function remaining(userId: string): Promise<number> {
  return (await getBackupCodeStatus(deps, "tenant-a", userId)).remaining;
}

async function offered(userId: string): Promise<unknown> {
  const ch = await challenge(deps, metaFor(), { userId, userGroups: [] });
  return { providers: ch.providers, secondFactorRequired: ch.secondFactorRequired };
}

describe("backup codes in the login flow", () => {
  it("offers backup codes only while some remain, and never as a reason to require 2FA", async () => {
    expect(await offered("offered")).toEqual({ providers: [], secondFactorRequired: false });
    const { codes } = await generateBackupCodes(deps, metaFor(), "offered", 1);
    expect(await offered("offered")).toEqual({
      providers: [{ provider: "backup_code", factors: [], turnsOnSecondFactor: false }],
      secondFactorRequired: false,
    });
    const ch = await challenge(deps, metaFor(), { userId: "offered", userGroups: [] });
    await verifyLogin(deps, metaFor(), { transactionId: ch.transactionId, proof: { kind: "backup_code", code: codes[0] ?? "" } });
    expect(await offered("offered")).toEqual({ providers: [], secondFactorRequired: false });
  });

  it("spends the code and the transaction together on success", async () => {
    const { codes } = await generateBackupCodes(deps, metaFor(), "login", 4);
    const ch = await challenge(deps, metaFor(), { userId: "login", userGroups: [] });
    const result = await verifyLogin(deps, metaFor(), { transactionId: ch.transactionId, proof: { kind: "backup_code", code: codes[0]?.toLowerCase() ?? "" } });
    expect(result).toEqual({
      verified: true,
      context: { userId: "login", factorId: "", provider: "backup_code", amr: ["otp", "mfa"], verifiedAt: START, driftSeconds: 0, backupCodesRemaining: 3 },
    });
    expect(await spentAt(ch.transactionId)).toEqual(START);
    expect(await remaining("login")).toBe(3);
  });

  it("refuses a wrong code without spending the transaction", async () => {
    await generateBackupCodes(deps, metaFor(), "wrong", 2);
    const ch = await challenge(deps, metaFor(), { userId: "wrong", userGroups: [] });
    const result = await verifyLogin(deps, metaFor(), { transactionId: ch.transactionId, proof: { kind: "backup_code", code: "0000-0000-0000-0000" } });
    expect(result).toEqual({ verified: false, reason: "wrong_code" });
    expect(await spentAt(ch.transactionId)).toBeNull();
  });

  it("keeps the code unused when the transaction was spent by another attempt between Verify's read and write", async () => {
    const { codes } = await generateBackupCodes(deps, metaFor(), "late", 2);
    const ch = await challenge(deps, metaFor(), { userId: "late", userGroups: [] });
    // Another attempt on the same transaction wins it after this one's read.
    db.before(/twofold_abort/, async () => {
      await app.db.query("UPDATE login_transactions SET spent_at = $2 WHERE id = $1", [ch.transactionId, START]);
    });
    const err = await verifyLogin(deps, metaFor(), { transactionId: ch.transactionId, proof: { kind: "backup_code", code: codes[0] ?? "" } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).details.reason).toBe("TRANSACTION_SPENT");
    expect(await remaining("late")).toBe(2);
    expect((await auditKinds(app.db, "late")).filter((k) => k.startsWith("backup_codes."))).toEqual(["backup_codes.generated"]);
  });

  it("treats only empty, oversized or control-character proofs as bad input", () => {
    const fieldsFor = (code: string): string[] => {
      const req = create(VerifyRequestSchema, { transactionId: "6f1c1a0e-3f7b-4d55-9a53-2b7f0d9b8a11", proof: { case: "backupCode", value: { code } } });
      try {
        parseVerify(req);
        return [];
      } catch (e) {
        if (!(e instanceof DomainError) || e.kind !== "invalid_argument") throw e;
        return (e.details.violations ?? []).map((x) => x.field);
      }
    };
    for (const bad of ["", "A".repeat(65), "0123-4567\n", "0123\u0000"]) expect(fieldsFor(bad)).toEqual(["proof.backup_code.code"]);
    for (const evaluated of ["not a code at all", "0123-4567-89ab-cdef", "UUUU"]) expect(fieldsFor(evaluated)).toEqual([]);
  });
});
