import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { codeAt, createHarness, errorOf, T0, type Harness } from "./harness.js";
import { wrongTotpCode } from "../support/otp-codes.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

async function enrolAndConfirm(userId: string) {
  const enrolled = await h.enrolment().enrol({ userId, label: "Phone", spec: { case: "totp", value: {} } });
  const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
  await h.enrolment().confirmEnrolment({
    userId,
    factorId: enrolled.factor?.id ?? "",
    proof: { case: "otpCode", value: codeAt(secretHex, h.clock.now()) },
  });
  return secretHex;
}

function verify(transactionId: string, code: string) {
  return h.auth().verify({ transactionId, proof: { case: "otp", value: { code, factorId: "" } } });
}

describe("login transactions", () => {
  it("answers NOT_FOUND for a transaction nobody opened", async () => {
    const e = await errorOf(verify("6f1c1a0e-3f7b-4d55-9a53-2b7f0d9b8a11", "123456"));
    expect(e.code).toBe(Code.NotFound);
  });

  it("expires a transaction after 5 minutes", async () => {
    h.clock.set(T0);
    const secretHex = await enrolAndConfirm("late-user");
    h.clock.advance(60_000);
    const ch = await h.auth().challenge({ userId: "late-user" });
    h.clock.advance(5 * 60_000);
    const e = await errorOf(verify(ch.transactionId, codeAt(secretHex, h.clock.now())));
    expect(e.code).toBe(Code.FailedPrecondition);
  });

  it("is single use: a spent transaction cannot verify again", async () => {
    h.clock.set(T0);
    const secretHex = await enrolAndConfirm("once-user");
    h.clock.advance(60_000);
    const ch = await h.auth().challenge({ userId: "once-user" });
    expect((await verify(ch.transactionId, codeAt(secretHex, h.clock.now()))).verified).toBe(true);
    h.clock.advance(30_000);
    const e = await errorOf(verify(ch.transactionId, codeAt(secretHex, h.clock.now())));
    expect(e.code).toBe(Code.FailedPrecondition);
  });

  it("allows 5 attempts per transaction", async () => {
    h.clock.set(T0);
    const secretHex = await enrolAndConfirm("five-user");
    h.clock.advance(60_000);
    const ch = await h.auth().challenge({ userId: "five-user" });
    const wrong = wrongTotpCode(secretHex, h.clock.now());
    for (let i = 0; i < 4; i++) expect((await verify(ch.transactionId, wrong)).reason).toBe(FailureReason.WRONG_CODE);
    // The fifth attempt may succeed...
    expect((await verify(ch.transactionId, codeAt(secretHex, h.clock.now()))).verified).toBe(true);
    // ...and a transaction that used all five refuses a sixth.
    h.clock.advance(30_000);
    const ch2 = await h.auth().challenge({ userId: "five-user" });
    const wrong2 = wrongTotpCode(secretHex, h.clock.now());
    for (let i = 0; i < 5; i++) await verify(ch2.transactionId, wrong2);
    h.clock.advance(60_000);
    const e = await errorOf(verify(ch2.transactionId, codeAt(secretHex, h.clock.now())));
    expect(e.code).toBe(Code.FailedPrecondition);
  });

  it("accepts the same valid code exactly once when 20 verifications race", async () => {
    h.clock.set(T0);
    const secretHex = await enrolAndConfirm("race-user");
    h.clock.advance(60_000);
    const code = codeAt(secretHex, h.clock.now());
    const challenges = await Promise.all(Array.from({ length: 20 }, () => h.auth().challenge({ userId: "race-user" })));
    const outcomes = await Promise.allSettled(challenges.map((ch) => verify(ch.transactionId, code)));
    const successes = outcomes.filter((o) => o.status === "fulfilled" && o.value.verified);
    expect(successes).toHaveLength(1);
    // Every other attempt lost cleanly: replayed, or throttled while the winner's attempt was in flight.
    for (const o of outcomes) {
      if (o.status === "fulfilled") {
        if (!o.value.verified) expect(o.value.reason).toBe(FailureReason.REPLAYED);
      } else {
        expect([Code.ResourceExhausted]).toContain(errorOfSettled(o.reason));
      }
    }
  });

  it("spends a transaction once when 10 verifications race on it", async () => {
    h.clock.set(T0);
    const secretHex = await enrolAndConfirm("race-tx-user");
    h.clock.advance(60_000);
    const ch = await h.auth().challenge({ userId: "race-tx-user" });
    const code = codeAt(secretHex, h.clock.now());
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => verify(ch.transactionId, code)));
    expect(outcomes.filter((o) => o.status === "fulfilled" && o.value.verified)).toHaveLength(1);
    const rows = await h.app.db.query<{ attempts: number; spent: boolean }>(
      `SELECT attempts, spent_at IS NOT NULL AS spent FROM login_transactions WHERE id = $1::uuid`,
      [ch.transactionId],
    );
    expect(rows.rows[0]?.spent).toBe(true);
    expect(rows.rows[0]?.attempts).toBeLessThanOrEqual(5);
  });
});

function errorOfSettled(reason: unknown): Code {
  return (reason as { code: Code }).code;
}
