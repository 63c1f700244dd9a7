import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditEvents } from "../../src/domain/audit/index.js";
import { FactorState, FailureReason, OtpAlgorithm, Provider, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { codeAt, createHarness, errorOf, T0, type Harness } from "./harness.js";
import { wrongTotpCode } from "../support/otp-codes.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

const STEP_MS = 30_000;

async function enrolAndConfirm(userId: string, label = "Phone") {
  const enrolled = await h.enrolment().enrol({ userId, label, spec: { case: "totp", value: {} } });
  const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
  const factorId = enrolled.factor?.id ?? "";
  const confirmed = await h.enrolment().confirmEnrolment({
    userId,
    factorId,
    proof: { case: "otpCode", value: codeAt(secretHex, h.clock.now()) },
  });
  expect(confirmed.confirmed).toBe(true);
  return { secretHex, factorId };
}

async function login(userId: string, code: string, factorId = "") {
  const ch = await h.auth().challenge({ userId, clientIp: "192.0.2.7" });
  return h.auth().verify({ transactionId: ch.transactionId, clientIp: "192.0.2.7", proof: { case: "otp", value: { code, factorId } } });
}

describe("TOTP lifecycle", () => {
  it("enrols, confirms, lists, renames, logs in and removes a factor", async () => {
    h.clock.set(T0);
    const user = "alice@example.com";
    const enrolled = await h.enrolment().enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    expect(enrolled.factor?.state).toBe(FactorState.PENDING);
    expect(enrolled.factor?.algorithm).toBe(OtpAlgorithm.SHA1);
    expect(enrolled.factor?.digits).toBe(6);
    expect(enrolled.factor?.periodSeconds).toBe(30);
    expect(enrolled.factor?.pendingExpiresAt?.seconds).toBe(BigInt(T0.getTime() / 1000 + 600));
    if (enrolled.enrolment.case !== "otp") throw new Error("expected an OTP enrolment");
    const otp = enrolled.enrolment.value;
    expect(otp.secretHex).toHaveLength(40);
    expect(Buffer.from(otp.secretHex, "hex").length).toBe(20);
    const uri = new URL(otp.otpauthUri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/twofold-test:Phone");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: otp.secretBase32,
      issuer: "twofold-test",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
    expect(otp.qrSvg.startsWith("<svg")).toBe(true);
    expect([...otp.qrPng.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const factorId = enrolled.factor?.id ?? "";

    const listedPending = await h.enrolment().listFactors({ userId: user });
    expect(listedPending.factors.map((f) => [f.id, f.state])).toEqual([[factorId, FactorState.PENDING]]);

    const confirmed = await h.enrolment().confirmEnrolment({
      userId: user,
      factorId,
      proof: { case: "otpCode", value: codeAt(otp.secretHex, T0) },
    });
    expect(confirmed.confirmed).toBe(true);
    expect(confirmed.factor?.state).toBe(FactorState.ACTIVE);

    const renamed = await h.enrolment().renameFactor({ userId: user, factorId, label: "Work phone" });
    expect(renamed.factor?.label).toBe("Work phone");

    h.clock.advance(STEP_MS);
    const ch = await h.auth().challenge({ userId: user, clientIp: "2001:db8::1" });
    expect(ch.secondFactorRequired).toBe(true);
    expect(ch.enrolmentRequired).toBe(false);
    expect(ch.providers.map((p) => p.provider)).toEqual([Provider.TOTP]);
    expect(ch.providers[0]?.factors.map((f) => f.label)).toEqual(["Work phone"]);
    expect(ch.expiresAt?.seconds).toBe(BigInt(h.clock.now().getTime() / 1000 + 300));

    const verified = await h.auth().verify({
      transactionId: ch.transactionId,
      clientIp: "2001:db8::1",
      proof: { case: "otp", value: { code: codeAt(otp.secretHex, h.clock.now()), factorId: "" } },
    });
    expect(verified.verified).toBe(true);
    expect(verified.context?.userId).toBe(user);
    expect(verified.context?.factorId).toBe(factorId);
    expect(verified.context?.provider).toBe(Provider.TOTP);
    expect(verified.context?.amr).toEqual(["otp", "swk", "mfa"]);
    expect(verified.context?.driftSeconds).toBe(0);
    expect(verified.context?.verifiedAt?.seconds).toBe(BigInt(h.clock.now().getTime() / 1000));

    const listed = await h.enrolment().listFactors({ userId: user });
    expect(listed.factors[0]?.lastUsedAt?.seconds).toBe(BigInt(h.clock.now().getTime() / 1000));

    await h.enrolment().removeFactor({ userId: user, factorId });
    expect((await h.enrolment().listFactors({ userId: user })).factors).toEqual([]);
    const after = await h.auth().challenge({ userId: user });
    expect(after.secondFactorRequired).toBe(false);
    expect(after.providers).toEqual([]);

    const kinds = (await readAuditEvents(h.app.db, "acme", { userId: user })).map((e) => e.kind);
    expect(kinds).toEqual([
      "factor.enrolled",
      "factor.confirmed",
      "factor.renamed",
      "login.challenged",
      "verify.succeeded",
      "factor.removed",
      "login.challenged",
    ]);
  });

  it("writes audit rows with caller and client ip and never a code or a secret", async () => {
    h.clock.set(T0);
    const user = "audit-user";
    const { secretHex, factorId } = await enrolAndConfirm(user);
    h.clock.advance(STEP_MS);
    const good = codeAt(secretHex, h.clock.now());
    const wrong = wrongTotpCode(secretHex, h.clock.now());
    expect((await login(user, wrong)).verified).toBe(false);
    expect((await login(user, good)).verified).toBe(true);
    const events = await readAuditEvents(h.app.db, "acme", { userId: user });
    const verifies = events.filter((e) => e.kind.startsWith("verify."));
    expect(verifies.map((e) => [e.kind, e.details["reason"] ?? "", e.clientIp, e.apiKeyId])).toEqual([
      ["verify.failed", "wrong_code", "192.0.2.7", "key-acme"],
      ["verify.succeeded", "", "192.0.2.7", "key-acme"],
    ]);
    expect(verifies[1]?.factorId).toBe(factorId);
    const base32 = Buffer.from(secretHex, "hex");
    const all = JSON.stringify(events);
    for (const secretForm of [good, wrong, secretHex, base32.toString("base64")]) expect(all).not.toContain(secretForm);
  });

  it("keeps a pending factor for 10 minutes, then refuses to confirm it and stops listing it", async () => {
    h.clock.set(T0);
    const user = "slow-user";
    const enrolled = await h.enrolment().enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    h.clock.advance(10 * 60 * 1000);
    const e = await errorOf(
      h.enrolment().confirmEnrolment({ userId: user, factorId: enrolled.factor?.id ?? "", proof: { case: "otpCode", value: codeAt(secretHex, h.clock.now()) } }),
    );
    expect(e.code).toBe(Code.FailedPrecondition);
    expect((await h.enrolment().listFactors({ userId: user })).factors).toEqual([]);
  });

  it("refuses to log in with a pending factor", async () => {
    h.clock.set(T0);
    const user = "pending-login";
    const enrolled = await h.enrolment().enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const ch = await h.auth().challenge({ userId: user });
    expect(ch.secondFactorRequired).toBe(false);
    const e = await errorOf(
      h.auth().verify({
        transactionId: ch.transactionId,
        proof: { case: "otp", value: { code: codeAt(secretHex, T0), factorId: enrolled.factor?.id ?? "" } },
      }),
    );
    expect(e.code).toBe(Code.FailedPrecondition);
  });

  it("answers WRONG_CODE to a wrong confirmation code and leaves the factor pending", async () => {
    h.clock.set(T0);
    const user = "typo-user";
    const enrolled = await h.enrolment().enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const res = await h.enrolment().confirmEnrolment({
      userId: user,
      factorId: enrolled.factor?.id ?? "",
      proof: { case: "otpCode", value: wrongTotpCode(secretHex, T0) },
    });
    expect(res.confirmed).toBe(false);
    expect(res.reason).toBe(FailureReason.WRONG_CODE);
    expect(res.factor?.state).toBe(FactorState.PENDING);
    const again = await errorOf(
      h.enrolment().confirmEnrolment({ userId: user, factorId: enrolled.factor?.id ?? "", proof: { case: "otpCode", value: codeAt(secretHex, T0) } })
        .then(async (ok) => {
          expect(ok.confirmed).toBe(true);
          return h.enrolment().confirmEnrolment({ userId: user, factorId: enrolled.factor?.id ?? "", proof: { case: "otpCode", value: codeAt(secretHex, T0) } });
        }),
    );
    expect(again.code).toBe(Code.FailedPrecondition);
  });

  it("burns the proving code: the same code cannot then log in", async () => {
    h.clock.set(T0);
    const user = "burn-user";
    const { secretHex } = await enrolAndConfirm(user);
    const res = await login(user, codeAt(secretHex, T0));
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.REPLAYED);
  });

  it("rejects a replayed code", async () => {
    h.clock.set(T0);
    const user = "replay-user";
    const { secretHex } = await enrolAndConfirm(user);
    h.clock.advance(STEP_MS);
    const code = codeAt(secretHex, h.clock.now());
    expect((await login(user, code)).verified).toBe(true);
    h.clock.advance(5_000);
    const again = await login(user, code);
    expect(again.verified).toBe(false);
    expect(again.reason).toBe(FailureReason.REPLAYED);
  });

  it("resynchronises a token 5 steps late from two consecutive codes and reports the drift", async () => {
    h.clock.set(T0);
    const user = "drift-user";
    const { secretHex } = await enrolAndConfirm(user);
    // An hour later the token's clock has fallen 5 steps behind.
    h.clock.advance(3600_000);
    const late1 = await login(user, codeAt(secretHex, h.clock.now(), { stepOffset: -5 }));
    expect(late1.verified).toBe(false);
    expect(late1.reason).toBe(FailureReason.RESYNC_NEEDED);
    h.clock.advance(STEP_MS);
    const late2 = await login(user, codeAt(secretHex, h.clock.now(), { stepOffset: -5 }));
    expect(late2.verified).toBe(true);
    expect(late2.context?.driftSeconds).toBe(-150);
    h.clock.advance(STEP_MS);
    const later = await login(user, codeAt(secretHex, h.clock.now(), { stepOffset: -5 }));
    expect(later.verified).toBe(true);
    expect(later.context?.driftSeconds).toBe(-150);
    const listed = await h.enrolment().listFactors({ userId: user });
    expect(listed.factors[0]?.driftSeconds).toBe(-150);
    // A code on the server's own clock is now 5 steps off the learned drift: outside the window.
    h.clock.advance(STEP_MS);
    expect((await login(user, codeAt(secretHex, h.clock.now()))).reason).toBe(FailureReason.RESYNC_NEEDED);
  });

  it("does not resync from two codes that are not consecutive", async () => {
    h.clock.set(T0);
    const user = "gap-user";
    const { secretHex } = await enrolAndConfirm(user);
    h.clock.advance(3600_000);
    expect((await login(user, codeAt(secretHex, h.clock.now(), { stepOffset: -5 }))).reason).toBe(FailureReason.RESYNC_NEEDED);
    h.clock.advance(3 * STEP_MS);
    expect((await login(user, codeAt(secretHex, h.clock.now(), { stepOffset: -5 }))).reason).toBe(FailureReason.RESYNC_NEEDED);
  });

  it("accepts a code one step either side and learns that drift", async () => {
    h.clock.set(T0);
    const user = "skew-user";
    const { secretHex } = await enrolAndConfirm(user);
    h.clock.advance(STEP_MS);
    const res = await login(user, codeAt(secretHex, h.clock.now(), { stepOffset: 1 }));
    expect(res.verified).toBe(true);
    expect(res.context?.driftSeconds).toBe(30);
  });

  it("tells UNKNOWN_FACTOR for a proof naming a factor the user does not have", async () => {
    h.clock.set(T0);
    const user = "named-user";
    const { secretHex } = await enrolAndConfirm(user);
    h.clock.advance(STEP_MS);
    const res = await login(user, codeAt(secretHex, h.clock.now()), "00000000-0000-4000-8000-000000000000");
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.UNKNOWN_FACTOR);
  });

  it("imports a Nitrokey secret with 8 digits and reports hwk", async () => {
    h.clock.set(T0);
    const user = "nk-user";
    const secret = Buffer.alloc(40, 0x5a);
    const enrolled = await h.enrolment().enrol({
      userId: user,
      label: "Nitrokey Pro",
      spec: { case: "totp", value: { secret, digits: 8, tokenProfile: TokenProfile.NITROKEY_PRO, issuer: "ACME", accountName: "alice" } },
    });
    if (enrolled.enrolment.case !== "otp") throw new Error("expected an OTP enrolment");
    expect(enrolled.enrolment.value.secretHex).toBe(secret.toString("hex"));
    expect(enrolled.enrolment.value.otpauthUri).toContain("otpauth://totp/ACME:alice?");
    expect(enrolled.enrolment.value.otpauthUri).toContain("digits=8");
    expect(enrolled.factor?.tokenProfile).toBe(TokenProfile.NITROKEY_PRO);
    const hex = secret.toString("hex");
    const factorId = enrolled.factor?.id ?? "";
    await h.enrolment().confirmEnrolment({ userId: user, factorId, proof: { case: "otpCode", value: codeAt(hex, T0, { digits: 8 }) } });
    h.clock.advance(STEP_MS);
    const res = await login(user, codeAt(hex, h.clock.now(), { digits: 8 }), factorId);
    expect(res.verified).toBe(true);
    expect(res.context?.amr).toEqual(["otp", "hwk", "mfa"]);
  });

  it("fits the longest issuer, account name and secret into the QR code", async () => {
    h.clock.set(T0);
    const enrolled = await h.enrolment().enrol({
      userId: "long-names",
      label: "\u{1F510}".repeat(64),
      spec: { case: "totp", value: { issuer: "\u{1F600}".repeat(32), accountName: "\u{1F511}".repeat(64), secret: Buffer.alloc(64, 3), algorithm: OtpAlgorithm.SHA512, digits: 8, periodSeconds: 60 } },
    });
    if (enrolled.enrolment.case !== "otp") throw new Error("expected an OTP enrolment");
    expect(enrolled.enrolment.value.qrPng.length).toBeGreaterThan(0);
    expect(enrolled.enrolment.value.otpauthUri).toContain("algorithm=SHA512&digits=8&period=60");
  });

  it("refuses a spec the token profile cannot hold, naming the field", async () => {
    const e = await errorOf(
      h.enrolment().enrol({
        userId: "nk2",
        label: "Nitrokey",
        spec: { case: "totp", value: { algorithm: OtpAlgorithm.SHA256, secret: Buffer.alloc(48, 1), tokenProfile: TokenProfile.NITROKEY_STORAGE } },
      }),
    );
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.message).toContain("spec.totp.algorithm");
    expect(e.message).toContain("spec.totp.secret");
  });

  it("limits a user to 20 factors", async () => {
    h.clock.set(T0);
    const user = "collector";
    for (let i = 0; i < 20; i++) await h.enrolment().enrol({ userId: user, label: `f${i}`, spec: { case: "totp", value: {} } });
    const e = await errorOf(h.enrolment().enrol({ userId: user, label: "one more", spec: { case: "totp", value: {} } }));
    expect(e.code).toBe(Code.FailedPrecondition);
    // Lapsed enrolments stop counting.
    h.clock.advance(11 * 60 * 1000);
    await h.enrolment().enrol({ userId: user, label: "fresh", spec: { case: "totp", value: {} } });
    expect((await h.enrolment().listFactors({ userId: user })).factors.map((f) => f.label)).toEqual(["fresh"]);
  });
});
