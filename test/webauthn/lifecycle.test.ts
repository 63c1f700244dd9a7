import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FactorKind, FactorState, FailureReason, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, type Harness } from "../rpc/harness.js";
import {
  browser,
  challenge2fa,
  enrolKey,
  FIDO2_PROFILES,
  fido2Key,
  login2fa,
  loginPasswordless,
  signCount,
  startEnrolment,
  u2fKey,
} from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

const NAMES: Record<string, string> = {
  "nitrokey-fido2": "Nitrokey FIDO2",
  "nitrokey-3-xn": "Nitrokey 3 xN",
  "nitrokey-3-xn-legacy-counter": "Nitrokey 3 xN",
  "nitrokey-3-am": "Nitrokey 3 AM",
};
const AAGUIDS: Record<string, string> = {
  "nitrokey-fido2": "c39efba6-fcf4-4c3e-828b-fc4a6115a0ff",
  "nitrokey-3-xn": "ec99db19-cd1f-4c06-a2a9-940f17a6a30b",
  "nitrokey-3-xn-legacy-counter": "ec99db19-cd1f-4c06-a2a9-940f17a6a30b",
  "nitrokey-3-am": "2cd2f727-f6ca-44da-8f48-5c2e5da000a2",
};

describe("WebAuthn enrolment options", () => {
  it("asks a second factor for direct attestation, ES256/EdDSA, no resident key and no UV", async () => {
    const { options, factorId } = await startEnrolment(h, "opts-2fa@example.com");
    expect(options.rp).toEqual({ id: "localhost", name: "twofold" });
    expect(options.attestation).toBe("direct");
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -8]);
    expect(options.authenticatorSelection?.residentKey).toBe("discouraged");
    expect(options.authenticatorSelection?.userVerification).toBe("discouraged");
    expect(options.excludeCredentials).toEqual([]);
    const listed = await h.enrolment().listFactors({ userId: "opts-2fa@example.com" });
    expect(listed.factors.map((f) => [f.id, f.kind, f.state])).toEqual([[factorId, FactorKind.WEBAUTHN, FactorState.PENDING]]);
  });

  it("asks passwordless for a resident key and UV, and keeps one user handle per user", async () => {
    const user = "opts-pwl@example.com";
    const a = await startEnrolment(h, user, { passwordless: true });
    const b = await startEnrolment(h, user, { passwordless: true });
    expect(a.options.authenticatorSelection?.residentKey).toBe("required");
    expect(a.options.authenticatorSelection?.userVerification).toBe("required");
    expect(a.options.user.id).toBe(b.options.user.id);
    expect(a.options.challenge).not.toBe(b.options.challenge);
    const other = await startEnrolment(h, "someone-else@example.com", { passwordless: true });
    expect(other.options.user.id).not.toBe(a.options.user.id);
    const listed = await h.enrolment().listFactors({ userId: user });
    expect(listed.factors.map((f) => f.kind)).toEqual([FactorKind.PASSWORDLESS, FactorKind.PASSWORDLESS]);
  });

  it("excludes every credential of the user, of both roles", async () => {
    const user = "excl@example.com";
    const second = await enrolKey(h, user, await fido2Key("nitrokey-fido2"));
    const pwl = await enrolKey(h, user, await fido2Key("nitrokey-3-am"), { passwordless: true });
    const { options } = await startEnrolment(h, user);
    expect(options.excludeCredentials?.map((c) => c.id).sort()).toEqual([second.credentialId, pwl.credentialId].sort());
  });
});

describe("WebAuthn as a second factor with every emulated authenticator", () => {
  for (const profile of FIDO2_PROFILES) {
    it(`registers and logs in with ${profile} (packed attestation)`, async () => {
      const user = `2fa-${profile}@example.com`;
      const key = await fido2Key(profile);
      const { factorId } = await enrolKey(h, user, key);
      const listed = await h.enrolment().listFactors({ userId: user });
      expect(listed.factors).toHaveLength(1);
      expect(listed.factors[0]).toMatchObject({
        id: factorId,
        kind: FactorKind.WEBAUTHN,
        state: FactorState.ACTIVE,
        aaguid: AAGUIDS[profile],
        authenticatorName: NAMES[profile],
        cloneSuspected: false,
      });

      const first = await login2fa(h, user, key);
      expect(first.result.verified).toBe(true);
      expect(first.result.context?.userId).toBe(user);
      expect(first.result.context?.factorId).toBe(factorId);
      expect(first.result.context?.provider).toBe(Provider.WEBAUTHN);
      expect(first.result.context?.amr).toEqual(["hwk", "mfa"]);
      const afterFirst = await signCount(h.app.db, factorId);
      const second = await login2fa(h, user, key);
      expect(second.result.verified).toBe(true);
      expect(await signCount(h.app.db, factorId)).toBeGreaterThan(afterFirst);
    });
  }

  it("registers and logs in with a FIDO U2F key (fido-u2f attestation), named as a U2F key", async () => {
    const user = "2fa-u2f@example.com";
    const key = await u2fKey();
    const { factorId } = await enrolKey(h, user, key);
    const listed = await h.enrolment().listFactors({ userId: user });
    expect(listed.factors[0]).toMatchObject({
      id: factorId,
      aaguid: "00000000-0000-0000-0000-000000000000",
      authenticatorName: "FIDO U2F key",
    });
    const login = await login2fa(h, user, key);
    expect(login.result.verified).toBe(true);
    expect(await signCount(h.app.db, factorId)).toBe(1);
  });

  it("accepts attestation none, with and without a zeroed AAGUID", async () => {
    const plain = await enrolKey(h, "none-1@example.com", await fido2Key("nitrokey-3-xn"), { attestation: "none" });
    const zeroed = await enrolKey(h, "none-2@example.com", await fido2Key("nitrokey-fido2"), {
      attestation: "none",
      client: browser({ zeroAaguidForNone: true }),
    });
    const a = await h.enrolment().listFactors({ userId: "none-1@example.com" });
    const b = await h.enrolment().listFactors({ userId: "none-2@example.com" });
    expect(a.factors[0]?.id).toBe(plain.factorId);
    expect(a.factors[0]?.authenticatorName).toBe("Nitrokey 3 xN");
    expect(b.factors[0]?.id).toBe(zeroed.factorId);
    expect(b.factors[0]?.aaguid).toBe("00000000-0000-0000-0000-000000000000");
  });

  it("offers only the user's active second-factor credentials in the request options", async () => {
    const user = "offer@example.com";
    const key = await fido2Key();
    const { credentialId, factorId } = await enrolKey(h, user, key);
    await enrolKey(h, user, await fido2Key("nitrokey-3-am"), { passwordless: true });
    await startEnrolment(h, user); // pending: not offered
    const { option, requestOptions } = await challenge2fa(h, user);
    expect(option?.factors.map((f) => f.id)).toEqual([factorId]);
    expect(requestOptions?.allowCredentials?.map((c) => c.id)).toEqual([credentialId]);
    expect(requestOptions?.userVerification).toBe("discouraged");
    expect(requestOptions?.rpId).toBe("localhost");
  });
});

describe("passwordless login", () => {
  for (const profile of FIDO2_PROFILES) {
    it(`identifies the user with ${profile}`, async () => {
      const user = `pwl-${profile}@example.com`;
      const key = await fido2Key(profile);
      const { factorId } = await enrolKey(h, user, key, { passwordless: true });
      const login = await loginPasswordless(h, key);
      expect(login.result.verified).toBe(true);
      expect(login.result.context?.userId).toBe(user);
      expect(login.result.context?.factorId).toBe(factorId);
      expect(login.result.context?.amr).toEqual(["hwk", "pin", "mfa"]);
    });
  }

  it("offers no credentials and requires user verification", async () => {
    const ch = await h.auth().challenge({ userId: "", purpose: 2 });
    expect(ch.secondFactorRequired).toBe(false);
    const options = JSON.parse(ch.providers[0]?.webauthnRequestOptionsJson ?? "{}") as { allowCredentials?: unknown[]; userVerification?: string };
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.userVerification).toBe("required");
  });
});

describe("factor management", () => {
  it("renames and removes a WebAuthn factor; a removed key no longer logs in", async () => {
    const user = "manage@example.com";
    const key = await fido2Key();
    const { factorId } = await enrolKey(h, user, key);
    const renamed = await h.enrolment().renameFactor({ userId: user, factorId, label: "Blue key" });
    expect(renamed.factor?.label).toBe("Blue key");
    expect(renamed.factor?.authenticatorName).toBe("Nitrokey 3 xN");
    const before = await login2fa(h, user, key);
    await h.enrolment().removeFactor({ userId: user, factorId });
    expect((await h.enrolment().listFactors({ userId: user })).factors).toEqual([]);
    const ch = await challenge2fa(h, user);
    expect(ch.option).toBeUndefined();
    const replay = await h.auth().verify({
      transactionId: ch.transactionId,
      proof: { case: "webauthn", value: { assertionJson: JSON.stringify(before.assertion) } },
    });
    expect(replay.verified).toBe(false);
    expect(replay.reason).toBe(FailureReason.UNKNOWN_FACTOR);
  });
});
