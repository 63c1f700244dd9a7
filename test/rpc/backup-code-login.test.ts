import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditEvents } from "../../src/domain/audit/index.js";
import { FailureReason, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { codeAt, createHarness, T0, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

describe("backup codes at login", () => {
  it("offers backup codes without requiring 2FA on their own, and accepts each code once", async () => {
    h.clock.set(T0);
    const user = "carol";
    const generated = await h.backupCodes().generateBackupCodes({ userId: user, count: 3 });
    const ch = await h.auth().challenge({ userId: user });
    expect(ch.secondFactorRequired).toBe(false);
    expect(ch.providers.map((p) => p.provider)).toEqual([Provider.BACKUP_CODE]);

    const code = generated.codes[0] ?? "";
    const ok = await h.auth().verify({ transactionId: ch.transactionId, proof: { case: "backupCode", value: { code } } });
    expect(ok.verified).toBe(true);
    expect(ok.context?.provider).toBe(Provider.BACKUP_CODE);
    expect(ok.context?.backupCodesRemaining).toBe(2);

    const ch2 = await h.auth().challenge({ userId: user });
    const again = await h.auth().verify({ transactionId: ch2.transactionId, proof: { case: "backupCode", value: { code } } });
    expect(again.verified).toBe(false);
    expect(again.reason).toBe(FailureReason.WRONG_CODE);

    const kinds = (await readAuditEvents(h.app.db, "acme", { userId: user })).map((e) => e.kind);
    expect(kinds).toContain("verify.succeeded");
    expect(kinds).toContain("verify.failed");
    expect(JSON.stringify(await readAuditEvents(h.app.db, "acme", { userId: user }))).not.toContain(code);
  });

  it("lists TOTP first and reports the backup codes left after a TOTP login", async () => {
    h.clock.set(T0);
    const user = "dave";
    const enrolled = await h.enrolment().enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    await h.enrolment().confirmEnrolment({ userId: user, factorId: enrolled.factor?.id ?? "", proof: { case: "otpCode", value: codeAt(secretHex, T0) } });
    await h.backupCodes().generateBackupCodes({ userId: user, count: 5 });
    h.clock.advance(60_000);
    const ch = await h.auth().challenge({ userId: user });
    expect(ch.secondFactorRequired).toBe(true);
    expect(ch.providers.map((p) => p.provider)).toEqual([Provider.TOTP, Provider.BACKUP_CODE]);
    const ok = await h.auth().verify({
      transactionId: ch.transactionId,
      proof: { case: "otp", value: { code: codeAt(secretHex, h.clock.now()), factorId: "" } },
    });
    expect(ok.context?.backupCodesRemaining).toBe(5);
  });
});
