import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditEvents } from "../../src/domain/audit/index.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { codeAt, createHarness, retryDelayMs, T0, type Harness } from "./harness.js";
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
  const res = await h.enrolment().confirmEnrolment({
    userId,
    factorId: enrolled.factor?.id ?? "",
    proof: { case: "otpCode", value: codeAt(secretHex, h.clock.now()) },
  });
  expect(res.confirmed).toBe(true);
  return secretHex;
}

/** One Verify on a fresh transaction (a transaction allows only 5 attempts). */
async function attempt(userId: string, code: string) {
  const ch = await h.auth().challenge({ userId });
  return h.auth().verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code, factorId: "" } } });
}

describe("throttling", () => {
  it("makes the user wait after 5 failures, doubling the wait, and a success resets it", async () => {
    h.clock.set(T0);
    const user = "guesser";
    const secretHex = await enrolAndConfirm(user);
    h.clock.advance(60_000);
    const wrong = wrongTotpCode(secretHex, h.clock.now());
    for (let i = 0; i < 5; i++) {
      const res = await attempt(user, wrong);
      expect(res.reason).toBe(FailureReason.WRONG_CODE);
    }
    // The sixth attempt waits 1 s: RESOURCE_EXHAUSTED with the delay, the proof not even looked at.
    expect(await retryDelayMs(attempt(user, codeAt(secretHex, h.clock.now())))).toBe(1000);
    h.clock.advance(1000);
    expect((await attempt(user, wrong)).reason).toBe(FailureReason.WRONG_CODE);
    expect(await retryDelayMs(attempt(user, wrong))).toBe(2000);
    h.clock.advance(2000);
    expect((await attempt(user, wrong)).reason).toBe(FailureReason.WRONG_CODE);
    expect(await retryDelayMs(attempt(user, wrong))).toBe(4000);
    h.clock.advance(1500);
    expect(await retryDelayMs(attempt(user, wrong))).toBe(2500);
    h.clock.advance(2500);

    // The right code refused while waiting is still good afterwards: it was never evaluated.
    const good = codeAt(secretHex, h.clock.now());
    expect((await attempt(user, wrong)).verified).toBe(false);
    expect(await retryDelayMs(attempt(user, good))).toBe(8000);
    h.clock.advance(8000);
    const ok = await attempt(user, good);
    expect(ok.verified).toBe(true);

    // Success reset the count: five more failures before any wait.
    h.clock.advance(30_000);
    const wrong2 = wrongTotpCode(secretHex, h.clock.now());
    for (let i = 0; i < 5; i++) expect((await attempt(user, wrong2)).reason).toBe(FailureReason.WRONG_CODE);
    expect(await retryDelayMs(attempt(user, wrong2))).toBe(1000);

    const blocked = (await readAuditEvents(h.app.db, "acme", { userId: user })).filter((e) => e.kind === "throttle.blocked");
    expect(blocked.length).toBe(6);
  });

  it("caps the wait at 15 minutes and never locks out for good", async () => {
    h.clock.set(T0);
    const user = "persistent";
    const secretHex = await enrolAndConfirm(user);
    h.clock.advance(60_000);
    const wrong = wrongTotpCode(secretHex, h.clock.now());
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) await attempt(user, wrong);
    for (let i = 0; i < 12; i++) {
      const wait = await retryDelayMs(attempt(user, wrong));
      waits.push(wait);
      h.clock.advance(wait);
      expect((await attempt(user, wrong)).verified).toBe(false);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900].map((s) => s * 1000));
    h.clock.advance(900_000);
    const good = await attempt(user, codeAt(secretHex, h.clock.now()));
    expect(good.verified).toBe(true);
  });

  it("counts wrong confirmation codes and throttles confirmation too", async () => {
    h.clock.set(T0);
    const user = "confirm-guesser";
    const enrolled = await h.enrolment().enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const factorId = enrolled.factor?.id ?? "";
    const wrong = wrongTotpCode(secretHex, T0);
    for (let i = 0; i < 5; i++) {
      const res = await h.enrolment().confirmEnrolment({ userId: user, factorId, proof: { case: "otpCode", value: wrong } });
      expect(res.reason).toBe(FailureReason.WRONG_CODE);
    }
    const wait = await retryDelayMs(
      h.enrolment().confirmEnrolment({ userId: user, factorId, proof: { case: "otpCode", value: codeAt(secretHex, T0) } }),
    );
    expect(wait).toBe(1000);
  });

  it("throttles per user: another user of the tenant is unaffected", async () => {
    h.clock.set(T0);
    const a = await enrolAndConfirm("throttled-a");
    const b = await enrolAndConfirm("fine-b");
    h.clock.advance(60_000);
    for (let i = 0; i < 5; i++) await attempt("throttled-a", wrongTotpCode(a, h.clock.now()));
    expect(await retryDelayMs(attempt("throttled-a", codeAt(a, h.clock.now())))).toBe(1000);
    expect((await attempt("fine-b", codeAt(b, h.clock.now()))).verified).toBe(true);
  });
});
