import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeAt, createHarness, errorOf, snapshot, T0, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

describe("tenant isolation", () => {
  it("keeps tenant A's user out of tenant B's reach: NOT_FOUND and nothing changed", async () => {
    h.clock.set(T0);
    const user = "shared-name";
    const a = h.enrolment("tenant-a");
    const b = h.enrolment("tenant-b");
    const enrolled = await a.enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const factorId = enrolled.factor?.id ?? "";

    // Tenant B cannot confirm, rename or remove it, and does not see it.
    const before = await snapshot(h.app.db);
    const code = codeAt(secretHex, T0);
    expect((await errorOf(b.confirmEnrolment({ userId: user, factorId, proof: { case: "otpCode", value: code } }))).code).toBe(Code.NotFound);
    expect((await errorOf(b.renameFactor({ userId: user, factorId, label: "Mine now" }))).code).toBe(Code.NotFound);
    expect((await errorOf(b.removeFactor({ userId: user, factorId }))).code).toBe(Code.NotFound);
    expect((await b.listFactors({ userId: user })).factors).toEqual([]);
    expect(await snapshot(h.app.db)).toEqual(before);

    // The code was not burnt by tenant B's attempt: tenant A confirms with it.
    const confirmed = await a.confirmEnrolment({ userId: user, factorId, proof: { case: "otpCode", value: code } });
    expect(confirmed.confirmed).toBe(true);

    // Tenant B's challenge for the same user id sees no factor; A's transaction is unknown to B.
    h.clock.advance(60_000);
    const chB = await h.auth("tenant-b").challenge({ userId: user });
    expect(chB.secondFactorRequired).toBe(false);
    const chA = await h.auth("tenant-a").challenge({ userId: user });
    expect(chA.secondFactorRequired).toBe(true);
    const fromB = await errorOf(
      h.auth("tenant-b").verify({ transactionId: chA.transactionId, proof: { case: "otp", value: { code: codeAt(secretHex, h.clock.now()), factorId: "" } } }),
    );
    expect(fromB.code).toBe(Code.NotFound);
    const withB = await h.auth("tenant-b").verify({
      transactionId: chB.transactionId,
      proof: { case: "otp", value: { code: codeAt(secretHex, h.clock.now()), factorId: "" } },
    });
    expect(withB.verified).toBe(false);
    // Tenant A's user still logs in with that very code.
    const withA = await h.auth("tenant-a").verify({
      transactionId: chA.transactionId,
      proof: { case: "otp", value: { code: codeAt(secretHex, h.clock.now()), factorId: "" } },
    });
    expect(withA.verified).toBe(true);
  });

  it("answers NOT_FOUND for another user's factor in the same tenant", async () => {
    h.clock.set(T0);
    const enrolled = await h.enrolment().enrol({ userId: "owner", label: "Phone", spec: { case: "totp", value: {} } });
    const factorId = enrolled.factor?.id ?? "";
    const before = await snapshot(h.app.db);
    expect((await errorOf(h.enrolment().removeFactor({ userId: "intruder", factorId }))).code).toBe(Code.NotFound);
    expect((await errorOf(h.enrolment().renameFactor({ userId: "intruder", factorId, label: "x" }))).code).toBe(Code.NotFound);
    expect(await snapshot(h.app.db)).toEqual(before);
  });
});
