import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cborDecode,
  cborEncode,
  concatBytes,
  fromBase64Url,
  toBase64Url,
  WebAuthnError,
  type CborValue,
  type RegistrationResponseJSON,
} from "../../emulator/index.js";
import { ErrorInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { FactorKind, FactorState, FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, errorOf, snapshot, type Harness } from "../rpc/harness.js";
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
  startEnrolment,
  verifyAssertion,
} from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

/**
 * A registration response claiming `credentialId`: fmt "none" signs nothing,
 * so anyone can write one; the server must still refuse a known id.
 */
function forgeWithCredentialId(genuine: RegistrationResponseJSON, credentialId: string): RegistrationResponseJSON {
  const att = cborDecode(fromBase64Url(genuine.response.attestationObject)) as Map<string, CborValue>;
  const authData = att.get("authData") as Uint8Array;
  const oldLength = (authData[53] as number) * 256 + (authData[54] as number);
  const id = fromBase64Url(credentialId);
  const forgedAuthData = concatBytes(
    authData.subarray(0, 53),
    new Uint8Array([id.length >> 8, id.length & 0xff]),
    id,
    authData.subarray(55 + oldLength),
  );
  const attestationObject = cborEncode(new Map<string, CborValue>([["fmt", "none"], ["attStmt", new Map()], ["authData", forgedAuthData]]));
  return {
    ...genuine,
    id: credentialId,
    rawId: credentialId,
    response: { ...genuine.response, attestationObject: toBase64Url(attestationObject) },
  };
}

describe("one token, one role", () => {
  it("does not let the same key enrol for passwordless after 2FA: the browser refuses (InvalidStateError)", async () => {
    const user = "same-key@example.com";
    const key = await fido2Key();
    await enrolKey(h, user, key);
    const { factorId, options } = await startEnrolment(h, user, { passwordless: true });
    const err = await browser().create(options, key, { pin: PIN }).then(() => undefined, (e: unknown) => e);
    expect((err as WebAuthnError).name).toBe("InvalidStateError");
    const listed = await h.enrolment().listFactors({ userId: user });
    expect(listed.factors.find((f) => f.id === factorId)?.state).toBe(FactorState.PENDING);
  });

  it("does not let the same key enrol for 2FA after passwordless either", async () => {
    const user = "same-key-2@example.com";
    const key = await fido2Key("nitrokey-3-am");
    await enrolKey(h, user, key, { passwordless: true });
    const { options } = await startEnrolment(h, user);
    const err = await browser().create(options, key, { pin: PIN }).then(() => undefined, (e: unknown) => e);
    expect((err as WebAuthnError).name).toBe("InvalidStateError");
  });

  it("refuses a forged attestation that reuses a registered credential id, for the same or another user", async () => {
    const user = "forger@example.com";
    const { credentialId } = await enrolKey(h, user, await fido2Key());
    for (const who of [user, "someone-else@example.com"]) {
      const { factorId, options } = await startEnrolment(h, who, { passwordless: true });
      const genuine = await browser().create({ ...options, attestation: "none" }, await fido2Key(), { pin: PIN });
      const forged = forgeWithCredentialId(genuine, credentialId);
      const before = await snapshot(h.app.db);
      const beforeRow = await factorRow(h.app.db, factorId);
      const err = await errorOf(confirm(h, who, factorId, forged));
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("CREDENTIAL_ALREADY_REGISTERED");
      expect(await factorRow(h.app.db, factorId)).toBe(beforeRow);
      expect((await snapshot(h.app.db))["factors"]).toBe(before["factors"]);
      // The genuine response for the same enrolment still confirms: the refusal consumed nothing.
      expect((await confirm(h, who, factorId, genuine)).confirmed).toBe(true);
    }
  });

  it("neither offers nor accepts a passwordless credential as a second factor", async () => {
    const user = "roles@example.com";
    const twoFa = await fido2Key("nitrokey-fido2");
    const pwlKey = await fido2Key("nitrokey-3-xn");
    const second = await enrolKey(h, user, twoFa);
    const pwl = await enrolKey(h, user, pwlKey, { passwordless: true });
    const { transactionId, option, requestOptions } = await challenge2fa(h, user);
    expect(option?.factors.map((f) => f.kind)).toEqual([FactorKind.WEBAUTHN]);
    expect(requestOptions?.allowCredentials?.map((c) => c.id)).toEqual([second.credentialId]);
    if (requestOptions === undefined) throw new Error("WebAuthn not offered");
    // A page that asks the passwordless key anyway gets a valid assertion over the transaction's challenge.
    const assertion = await browser().get(
      { ...requestOptions, allowCredentials: [{ type: "public-key", id: pwl.credentialId }] },
      pwlKey,
      { pin: PIN },
    );
    const before = await factorRow(h.app.db, pwl.factorId);
    const res = await verifyAssertion(h, transactionId, assertion);
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.WRONG_ROLE);
    expect(await factorRow(h.app.db, pwl.factorId)).toBe(before);
  });

  it("does not accept a second-factor credential for passwordless login", async () => {
    const user = "roles-2@example.com";
    const key = await fido2Key();
    const second = await enrolKey(h, user, key);
    const { transactionId, requestOptions } = await challengePasswordless(h);
    // Not discoverable, so the key offers nothing for an empty allow list...
    const none = await browser().get(requestOptions, key, { pin: PIN }).then(() => undefined, (e: unknown) => e);
    expect((none as WebAuthnError).name).toBe("NotAllowedError");
    // ...and a page naming it gets an assertion the server refuses by role.
    const assertion = await browser().get({ ...requestOptions, allowCredentials: [{ type: "public-key", id: second.credentialId }] }, key, {
      pin: PIN,
    });
    const before = await factorRow(h.app.db, second.factorId);
    const res = await verifyAssertion(h, transactionId, assertion);
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.WRONG_ROLE);
    expect(await factorRow(h.app.db, second.factorId)).toBe(before);
  });

  it("keeps the roles of two users apart on one physical key", async () => {
    const key = await fido2Key("nitrokey-3-xn");
    const asSecond = await enrolKey(h, "shared-a@example.com", key);
    await enrolKey(h, "shared-b@example.com", key, { passwordless: true });
    expect((await login2fa(h, "shared-a@example.com", key)).result.verified).toBe(true);
    const pwl = await loginPasswordless(h, key);
    expect(pwl.result.context?.userId).toBe("shared-b@example.com");
    // B's passwordless assertion is no second factor for A.
    const { transactionId } = await challenge2fa(h, "shared-a@example.com");
    const res = await verifyAssertion(h, transactionId, pwl.assertion);
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.UNKNOWN_FACTOR);
    expect(asSecond.credentialId).not.toBe(pwl.assertion.id);
  });

  it("refuses a passwordless assertion whose user handle is not the owner's", async () => {
    const user = "handle@example.com";
    const key = await fido2Key();
    const { factorId } = await enrolKey(h, user, key, { passwordless: true });
    const { transactionId, requestOptions } = await challengePasswordless(h);
    const assertion = await browser().get(requestOptions, key, { pin: PIN });
    const tampered = { ...assertion, response: { ...assertion.response, userHandle: toBase64Url(new Uint8Array(32).fill(9)) } };
    const before = await factorRow(h.app.db, factorId);
    const res = await verifyAssertion(h, transactionId, tampered);
    expect(res.reason).toBe(FailureReason.INVALID_ASSERTION);
    expect(await factorRow(h.app.db, factorId)).toBe(before);
  });

  it("does not find a credential of another tenant", async () => {
    const key = await fido2Key();
    await enrolKey(h, "tenant-a@example.com", key, { passwordless: true });
    const { transactionId, requestOptions } = await challengePasswordless(h, "globex");
    const assertion = await browser().get(requestOptions, key, { pin: PIN });
    const res = await verifyAssertion(h, transactionId, assertion, "globex");
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.UNKNOWN_FACTOR);
  });
});
