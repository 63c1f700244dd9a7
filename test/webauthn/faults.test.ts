import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyFaultNames, WebAuthnClient, WebAuthnError } from "../../emulator/index.js";
import { readAuditEvents } from "../../src/domain/audit/index.js";
import { FactorState, FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, errorOf, type Harness } from "../rpc/harness.js";
import {
  browser,
  challenge2fa,
  challengePasswordless,
  confirm,
  enrolKey,
  factorRow,
  fido2Key,
  login2fa,
  loginPasswordless,
  PIN,
  signCount,
  startEnrolment,
  u2fKey,
  verifyAssertion,
} from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

/** Registration faults: each refused as INVALID_ASSERTION, the pending factor untouched. */
const REGISTRATION_FAULTS = [
  "bogus-signature",
  "up-cleared",
  "wrong-rp-id-hash",
  "wrong-aaguid",
  "malformed-cose-key",
  "wrong-origin",
  "wrong-challenge",
  "wrong-type",
  "malformed-cbor",
  "expired-certificate",
  "ca-certificate",
];

/** Assertion faults on a second-factor login: each refused as INVALID_ASSERTION, the factor untouched. */
const ASSERTION_FAULTS = ["bogus-signature", "up-cleared", "wrong-rp-id-hash", "wrong-origin", "wrong-challenge", "wrong-type", "cross-origin"];

describe("registration faults", () => {
  for (const fault of REGISTRATION_FAULTS) {
    it(`refuses a registration with ${fault} and keeps the enrolment pending`, async () => {
      const user = `reg-${fault}@example.com`;
      const key = await fido2Key();
      const client = browser();
      const named = applyFaultNames([fault]);
      key.faults = named.authenticator;
      client.faults = named.client;
      const { factorId, options } = await startEnrolment(h, user);
      const before = await factorRow(h.app.db, factorId);
      const registration = await client.create(options, key, { pin: PIN });
      const res = await confirm(h, user, factorId, registration);
      expect(res.confirmed).toBe(false);
      expect(res.reason).toBe(FailureReason.INVALID_ASSERTION);
      expect(res.factor?.state).toBe(FactorState.PENDING);
      expect(await factorRow(h.app.db, factorId)).toBe(before);
      const audit = await readAuditEvents(h.app.db, "acme", { userId: user });
      expect(audit.at(-1)).toMatchObject({ kind: "factor.confirm_failed", factorId, details: { reason: "invalid_assertion" } });
    });
  }

  it("refuses a passwordless registration without user verification", async () => {
    const user = "reg-uv-cleared@example.com";
    const key = await fido2Key();
    key.faults = applyFaultNames(["uv-cleared"]).authenticator;
    const { factorId, options } = await startEnrolment(h, user, { passwordless: true });
    const before = await factorRow(h.app.db, factorId);
    const res = await confirm(h, user, factorId, await browser().create(options, key, { pin: PIN }));
    expect(res.reason).toBe(FailureReason.INVALID_ASSERTION);
    expect(await factorRow(h.app.db, factorId)).toBe(before);
  });

  it("accepts packed self attestation (valid packed, the credential key signs; nothing vouches for the model)", async () => {
    const key = await fido2Key();
    key.faults = applyFaultNames(["self-attestation"]).authenticator;
    const { factorId } = await enrolKey(h, "reg-self@example.com", key);
    expect((await login2fa(h, "reg-self@example.com", key)).result.context?.factorId).toBe(factorId);
  });

  it("accepts a registration response only once", async () => {
    const user = "reg-twice@example.com";
    const { factorId, options } = await startEnrolment(h, user);
    const registration = await browser().create(options, await fido2Key(), { pin: PIN });
    expect((await confirm(h, user, factorId, registration)).confirmed).toBe(true);
    const again = await errorOf(confirm(h, user, factorId, registration));
    expect(again.code).toBe(Code.FailedPrecondition);
  });

  it("lets the emulated browser refuse an excluded authenticator (InvalidStateError)", async () => {
    const user = "reg-excluded@example.com";
    const key = await fido2Key();
    await enrolKey(h, user, key);
    const { factorId, options } = await startEnrolment(h, user);
    const before = await factorRow(h.app.db, factorId);
    const err = await browser().create(options, key, { pin: PIN }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WebAuthnError);
    expect((err as WebAuthnError).name).toBe("InvalidStateError");
    expect(await factorRow(h.app.db, factorId)).toBe(before);
  });
});

describe("assertion faults", () => {
  for (const fault of ASSERTION_FAULTS) {
    it(`refuses an assertion with ${fault} and changes nothing on the factor`, async () => {
      const user = `login-${fault}@example.com`;
      const key = await fido2Key();
      const { factorId } = await enrolKey(h, user, key);
      const before = await factorRow(h.app.db, factorId);
      const client = browser();
      const named = applyFaultNames([fault]);
      key.faults = named.authenticator;
      client.faults = named.client;
      const { result } = await login2fa(h, user, key, client);
      expect(result.verified).toBe(false);
      expect(result.reason).toBe(FailureReason.INVALID_ASSERTION);
      expect(await factorRow(h.app.db, factorId)).toBe(before);
    });
  }

  it("refuses a passwordless assertion without user verification", async () => {
    const user = "login-uv-cleared@example.com";
    const key = await fido2Key();
    const { factorId } = await enrolKey(h, user, key, { passwordless: true });
    const before = await factorRow(h.app.db, factorId);
    key.faults = applyFaultNames(["uv-cleared"]).authenticator;
    const { result } = await loginPasswordless(h, key);
    expect(result.reason).toBe(FailureReason.INVALID_ASSERTION);
    expect(await factorRow(h.app.db, factorId)).toBe(before);
  });

  it("refuses a replayed assertion: on its spent transaction, and on a new one", async () => {
    const user = "replay@example.com";
    const key = await fido2Key();
    const { factorId } = await enrolKey(h, user, key);
    const first = await login2fa(h, user, key);
    expect(first.result.verified).toBe(true);
    const after = await factorRow(h.app.db, factorId);
    const spent = await errorOf(verifyAssertion(h, first.transactionId, first.assertion));
    expect(spent.code).toBe(Code.FailedPrecondition);
    const fresh = await challenge2fa(h, user);
    const replayed = await verifyAssertion(h, fresh.transactionId, first.assertion);
    expect(replayed.verified).toBe(false);
    expect(replayed.reason).toBe(FailureReason.INVALID_ASSERTION);
    expect(await factorRow(h.app.db, factorId)).toBe(after);
  });

  it("lets exactly one of two racing copies of an assertion through", async () => {
    const user = "race@example.com";
    const key = await fido2Key();
    await enrolKey(h, user, key);
    const { transactionId, requestOptions } = await challenge2fa(h, user);
    if (requestOptions === undefined) throw new Error("WebAuthn not offered");
    const assertion = await browser().get(requestOptions, key);
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => verifyAssertion(h, transactionId, assertion)));
    const verified = outcomes.filter((o) => o.status === "fulfilled" && o.value.verified);
    expect(verified).toHaveLength(1);
  });
});

describe("signature counter", () => {
  for (const fault of ["counter-backwards", "counter-stuck", "counter-zero"]) {
    it(`suspects a clone on ${fault}, marks the factor and keeps refusing it`, async () => {
      const user = `clone-${fault}@example.com`;
      const key = await fido2Key("nitrokey-fido2");
      const { factorId } = await enrolKey(h, user, key);
      expect((await login2fa(h, user, key)).result.verified).toBe(true);
      const stored = await signCount(h.app.db, factorId);
      expect(stored).toBeGreaterThan(0);
      const before = await factorRow(h.app.db, factorId, ["clone_suspected"]);
      key.faults = applyFaultNames([fault]).authenticator;
      const { result } = await login2fa(h, user, key);
      expect(result.verified).toBe(false);
      expect(result.reason).toBe(FailureReason.CLONE_SUSPECTED);
      expect(await signCount(h.app.db, factorId)).toBe(stored);
      expect(await factorRow(h.app.db, factorId, ["clone_suspected"])).toBe(before);
      const listed = await h.enrolment().listFactors({ userId: user });
      expect(listed.factors[0]?.cloneSuspected).toBe(true);
      const audit = await readAuditEvents(h.app.db, "acme", { userId: user });
      expect(audit.some((e) => e.kind === "webauthn.clone_suspected" && e.factorId === factorId)).toBe(true);

      key.faults = {};
      const healed = await login2fa(h, user, key);
      expect(healed.result.reason).toBe(FailureReason.CLONE_SUSPECTED);
    });
  }

  it("accepts large counter jumps (Nitrokey 3 counters are global)", async () => {
    const user = "jumps@example.com";
    const key = await fido2Key("nitrokey-3-xn");
    const { factorId } = await enrolKey(h, user, key);
    // Logins at another site move the same global counter between ours.
    const elsewhere = new WebAuthnClient({ origin: "http://elsewhere.localhost" });
    const challenge = Buffer.alloc(32, 7).toString("base64url");
    const other = await elsewhere.create(
      {
        rp: { id: "elsewhere.localhost", name: "Elsewhere" },
        user: { id: Buffer.from("someone").toString("base64url"), name: "someone", displayName: "Someone" },
        challenge,
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      },
      key,
      { pin: PIN },
    );
    for (let round = 0; round < 3; round++) {
      const before = key.signCount;
      for (let i = 0; i < 4; i++) {
        await elsewhere.get({ rpId: "elsewhere.localhost", challenge, allowCredentials: [{ type: "public-key", id: other.id }] }, key);
      }
      expect(key.signCount).toBeGreaterThan(before);
      expect((await login2fa(h, user, key)).result.verified).toBe(true);
      expect(await signCount(h.app.db, factorId)).toBe(key.signCount);
    }
  });

  it("accepts a U2F key that counts one by one, and refuses its counter going back", async () => {
    const user = "u2f-counter@example.com";
    const key = await u2fKey();
    const { factorId } = await enrolKey(h, user, key);
    expect((await login2fa(h, user, key)).result.verified).toBe(true);
    expect((await login2fa(h, user, key)).result.verified).toBe(true);
    expect(await signCount(h.app.db, factorId)).toBe(2);
    key.faults = applyFaultNames(["counter-backwards"]).authenticator;
    expect((await login2fa(h, user, key)).result.reason).toBe(FailureReason.CLONE_SUSPECTED);
  });
});

describe("passwordless faults", () => {
  it("refuses an assertion for an unknown credential without naming a user", async () => {
    const key = await fido2Key();
    const { factorId } = await enrolKey(h, "pwl-unknown@example.com", key, { passwordless: true });
    await h.enrolment().removeFactor({ userId: "pwl-unknown@example.com", factorId });
    const { transactionId, requestOptions } = await challengePasswordless(h);
    const assertion = await browser().get(requestOptions, key, { pin: PIN }).catch(() => undefined);
    // The emulated key still holds its resident credential; the service no longer knows it.
    if (assertion === undefined) throw new Error("the key offered no credential");
    const res = await verifyAssertion(h, transactionId, assertion);
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.UNKNOWN_FACTOR);
    expect(res.context).toBeUndefined();
  });
});
