import { SettingsService, generateAuthenticationOptions, generateRegistrationOptions } from "@simplewebauthn/server";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttestationCa,
  Fido2Authenticator,
  U2fToken,
  WebAuthnClient,
  fromBase64Url,
  seededRandomBytes,
  type FidoProfileId,
} from "../../emulator/index.js";
import {
  authenticateWithBoth,
  fido2libRegister,
  registerWithBoth,
  simpleAuthenticate,
  simpleRegister,
  type Expectation,
} from "./support/relying-parties.js";

const ORIGIN = "https://login.example.com";
const RP_ID = "example.com";
const PROFILES: { id: FidoProfileId; aaguid: string; minStep: number; maxStep: number }[] = [
  { id: "nitrokey-fido2", aaguid: "c39efba6-fcf4-4c3e-828b-fc4a6115a0ff", minStep: 1, maxStep: 16 },
  { id: "nitrokey-3-xn", aaguid: "ec99db19-cd1f-4c06-a2a9-940f17a6a30b", minStep: 1, maxStep: 256 },
  { id: "nitrokey-3-xn-legacy-counter", aaguid: "ec99db19-cd1f-4c06-a2a9-940f17a6a30b", minStep: 1, maxStep: 1 },
  { id: "nitrokey-3-am", aaguid: "2cd2f727-f6ca-44da-8f48-5c2e5da000a2", minStep: 1, maxStep: 256 },
];

let ca: AttestationCa;
const client = new WebAuthnClient({ origin: ORIGIN });

beforeAll(async () => {
  ca = await AttestationCa.create();
  // Trust the emulator's root, so simplewebauthn also walks the x5c chain.
  SettingsService.setRootCertificates({ identifier: "packed", certificates: [ca.rootCertificatePem] });
  SettingsService.setRootCertificates({ identifier: "fido-u2f", certificates: [ca.rootCertificatePem] });
});

async function registrationOptions(attestationType: "direct" | "none" = "direct", algorithms = [-7, -8]) {
  return generateRegistrationOptions({
    rpName: "twofold test",
    rpID: RP_ID,
    userName: "alice",
    attestationType,
    supportedAlgorithmIDs: algorithms,
    authenticatorSelection: { residentKey: "discouraged", userVerification: "discouraged" },
  });
}

function expectation(challenge: string): Expectation {
  return { challenge, origin: ORIGIN, rpId: RP_ID };
}

function signCountOf(authenticatorData: string): number {
  return Buffer.from(fromBase64Url(authenticatorData)).readUInt32BE(33);
}

describe.each(PROFILES)("$id", (profile) => {
  it("registers with packed x5c attestation that both relying parties verify, naming the profile's AAGUID", async () => {
    const device = await Fido2Authenticator.create({ profile: profile.id, ca });
    const options = await registrationOptions();
    const response = await client.create(options, device);
    const stored = await registerWithBoth(response, expectation(options.challenge));
    expect(stored.fmt).toBe("packed");
    expect(stored.aaguid).toBe(profile.aaguid);
    expect(stored.attestationType).toBe("basic");
    expect(response.response.publicKeyAlgorithm).toBe(-7);
  });

  it("asserts repeatedly, verified by both, with the counter moving by the profile's steps", async () => {
    const device = await Fido2Authenticator.create({ profile: profile.id, ca, random: seededRandomBytes(profile.id) });
    const options = await registrationOptions();
    const stored = await registerWithBoth(await client.create(options, device), expectation(options.challenge));
    expect(stored.counter).toBeGreaterThan(0);
    const steps: number[] = [];
    for (let i = 0; i < 12; i++) {
      const request = await generateAuthenticationOptions({
        rpID: RP_ID,
        allowCredentials: [{ id: stored.simple.id }],
        userVerification: "discouraged",
      });
      const before = stored.counter;
      const assertion = await client.get(request, device);
      const counter = await authenticateWithBoth(assertion, expectation(request.challenge), stored);
      expect(counter).toBe(signCountOf(assertion.response.authenticatorData));
      steps.push(counter - before);
    }
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(profile.minStep);
    expect(Math.max(...steps)).toBeLessThanOrEqual(profile.maxStep);
    if (profile.maxStep > 1) expect(new Set(steps).size).toBeGreaterThan(1);
  });
});

describe("Nitrokey 3 EdDSA", () => {
  it("makes an Ed25519 credential when the relying party prefers EdDSA, verified by simplewebauthn (fido2-lib has no EdDSA)", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca });
    const options = await registrationOptions("direct", [-8, -7]);
    const response = await client.create(options, device);
    expect(response.response.publicKeyAlgorithm).toBe(-8);
    const registered = await simpleRegister(response, expectation(options.challenge));
    expect(registered.verified).toBe(true);
    await expect(fido2libRegister(response, expectation(options.challenge))).rejects.toThrow(/algorithm/i);
    if (!registered.verified) return;
    const request = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: response.id }], userVerification: "discouraged" });
    const stored = { simple: registered.registrationInfo.credential, publicKeyPem: "", counter: registered.registrationInfo.credential.counter, userHandle: null };
    const verified = await simpleAuthenticate(await client.get(request, device), expectation(request.challenge), stored);
    expect(verified.verified).toBe(true);
    expect(verified.authenticationInfo.newCounter).toBeGreaterThan(stored.counter);
  });
});

describe("Nitrokey FIDO U2F through a browser", () => {
  it("registers as fido-u2f with a zero AAGUID and counter 0, and asserts with the counter +1 each time", async () => {
    const token = await U2fToken.create({ ca });
    const options = await registrationOptions("direct", [-7]);
    const response = await client.create(options, token);
    const stored = await registerWithBoth(response, expectation(options.challenge));
    expect(stored.fmt).toBe("fido-u2f");
    expect(stored.aaguid).toBe("00000000-0000-0000-0000-000000000000");
    expect(stored.counter).toBe(0);
    expect(fromBase64Url(response.rawId)).toHaveLength(64);
    expect(fromBase64Url(response.response.authenticatorData)[32]).toBe(0x41);
    for (let i = 1; i <= 3; i++) {
      const request = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: stored.simple.id }], userVerification: "discouraged" });
      expect(await authenticateWithBoth(await client.get(request, token), expectation(request.challenge), stored)).toBe(i);
    }
  });
});

describe("attestation trust", () => {
  it("chains the batch certificate to the emulator's root and to no other root", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const options = await registrationOptions();
    const response = await client.create(options, device);
    const stranger = await AttestationCa.create({ commonName: "some other vendor root" });
    try {
      SettingsService.setRootCertificates({ identifier: "packed", certificates: [stranger.rootCertificatePem] });
      await expect(simpleRegister(response, expectation(options.challenge))).rejects.toThrow(/could not be chained|trust anchor/);
    } finally {
      SettingsService.setRootCertificates({ identifier: "packed", certificates: [ca.rootCertificatePem] });
    }
    expect((await simpleRegister(response, expectation(options.challenge))).verified).toBe(true);
  });
});
