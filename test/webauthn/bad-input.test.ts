import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, errorOf, invalidFields, snapshot, T0, type Harness } from "../rpc/harness.js";
import { browser, challengePasswordless, confirm, enrolKey, fido2Key, PIN, startEnrolment, verifyAssertion } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

/** Asserts the call is INVALID_ARGUMENT naming exactly `fields` (one violation per problem), and that no table changed. */
async function refusedNaming(call: () => Promise<unknown>, fields: string[]): Promise<void> {
  const before = await snapshot(h.app.db);
  expect([...new Set(await invalidFields(call()))]).toEqual(fields);
  expect(await snapshot(h.app.db)).toEqual(before);
}

const GOOD_SHELL = { id: "AAAA", rawId: "AAAA", type: "public-key", clientExtensionResults: {} };

describe("WebAuthn bad input", () => {
  it("names bad user names in the spec", async () => {
    await refusedNaming(
      () =>
        h.enrolment().enrol({
          userId: "bad@example.com",
          label: "Key",
          spec: { case: "webauthn", value: { passwordless: false, userName: "x".repeat(65), userDisplayName: "Bad\u0007Name" } },
        }),
      ["spec.webauthn.user_name", "spec.webauthn.user_display_name"],
    );
  });

  it("names a malformed attestation JSON and changes nothing", async () => {
    const user = "bad-att@example.com";
    const { factorId } = await startEnrolment(h, user);
    const field = "proof.webauthn_attestation_json";
    const bad = [
      "",
      "not json",
      "[1,2]",
      "null",
      "{}",
      JSON.stringify({ ...GOOD_SHELL, response: {} }),
      JSON.stringify({ ...GOOD_SHELL, type: "password", response: { clientDataJSON: "AA", attestationObject: "AA" } }),
      JSON.stringify({ ...GOOD_SHELL, rawId: "BBBB", response: { clientDataJSON: "AA", attestationObject: "AA" } }),
      JSON.stringify({ ...GOOD_SHELL, response: { clientDataJSON: "A+/=", attestationObject: "AA" } }),
      JSON.stringify({ ...GOOD_SHELL, response: { clientDataJSON: "AA", attestationObject: "AA", transports: ["carrier-pigeon"] } }),
      JSON.stringify({ ...GOOD_SHELL, id: "A".repeat(2000), rawId: "A".repeat(2000), response: { clientDataJSON: "AA", attestationObject: "AA" } }),
      "x".repeat(40_000),
    ];
    for (const text of bad) await refusedNaming(() => confirm(h, user, factorId, text), [field]);
  });

  it("names a malformed assertion JSON and counts no attempt", async () => {
    const { transactionId } = await challengePasswordless(h);
    const field = "proof.webauthn.assertion_json";
    const bad = [
      "",
      "{",
      "42",
      JSON.stringify({ ...GOOD_SHELL, response: { clientDataJSON: "AA", authenticatorData: "AA" } }),
      JSON.stringify({ ...GOOD_SHELL, response: { clientDataJSON: "AA", authenticatorData: "AA", signature: "AA", userHandle: "A".repeat(100) } }),
      JSON.stringify({ ...GOOD_SHELL, response: { clientDataJSON: "AA", authenticatorData: 7, signature: "AA" } }),
    ];
    for (const text of bad) await refusedNaming(() => verifyAssertion(h, transactionId, text), [field]);
  });

  it("refuses a user id on a passwordless Challenge", async () => {
    await refusedNaming(() => h.auth().challenge({ userId: "someone", purpose: Purpose.PASSWORDLESS }), ["user_id"]);
  });
});

describe("WebAuthn state errors", () => {
  it("answers NOT_FOUND for an unknown or non-WebAuthn factor", async () => {
    const user = "state@example.com";
    const { options } = await startEnrolment(h, user);
    const registration = await browser().create(options, await fido2Key(), { pin: PIN });
    expect((await errorOf(confirm(h, user, "00000000-0000-4000-8000-000000000000", registration))).code).toBe(Code.NotFound);
    const totp = await h.enrolment().enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    expect((await errorOf(confirm(h, user, totp.factor?.id ?? "", registration))).code).toBe(Code.NotFound);
  });

  it("refuses a confirmation after the enrolment lapsed", async () => {
    h.clock.set(T0);
    const user = "lapsed@example.com";
    const { factorId, options } = await startEnrolment(h, user);
    const registration = await browser().create(options, await fido2Key(), { pin: PIN });
    h.clock.advance(10 * 60 * 1000 + 1);
    const err = await errorOf(confirm(h, user, factorId, registration));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("ENROLMENT_EXPIRED");
    h.clock.set(T0);
  });

  it("refuses an OTP or backup code proof on a passwordless transaction", async () => {
    const { transactionId } = await challengePasswordless(h);
    const otp = await errorOf(h.auth().verify({ transactionId, proof: { case: "otp", value: { code: "123456", factorId: "" } } }));
    expect(otp.code).toBe(Code.FailedPrecondition);
    expect(otp.findDetails(ErrorInfoSchema)[0]?.reason).toBe("PASSWORDLESS_NEEDS_WEBAUTHN");
  });

  it("never passes a library message to the caller", async () => {
    const user = "quiet@example.com";
    const key = await fido2Key();
    await enrolKey(h, user, key, { passwordless: true });
    const { transactionId, requestOptions } = await challengePasswordless(h);
    const client = browser();
    client.faults = { wrongOrigin: "https://evil.example" };
    const assertion = await client.get(requestOptions, key, { pin: PIN });
    const res = await verifyAssertion(h, transactionId, assertion);
    expect(res.verified).toBe(false);
    expect(JSON.stringify(res)).not.toMatch(/evil|origin|expected/i);
  });
});
