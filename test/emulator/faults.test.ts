import { SettingsService, generateAuthenticationOptions, generateRegistrationOptions } from "@simplewebauthn/server";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttestationCa,
  Fido2Authenticator,
  U2fToken,
  WebAuthnClient,
  cborDecode,
  fromBase64Url,
  type AuthenticatorFaults,
  type ClientFaults,
  type EmulatedAuthenticator,
} from "../../emulator/index.js";
import {
  fido2libAuthenticate,
  fido2libCertManager,
  fido2libRegister,
  registerWithBoth,
  rejections,
  simpleAuthenticate,
  simpleRegister,
  type Expectation,
  type StoredCredential,
} from "./support/relying-parties.js";

const ORIGIN = "https://login.example.com";
const RP_ID = "example.com";
const PIN = "4711-secret";
let ca: AttestationCa;

beforeAll(async () => {
  ca = await AttestationCa.create();
  SettingsService.setRootCertificates({ identifier: "packed", certificates: [ca.rootCertificatePem] });
  SettingsService.setRootCertificates({ identifier: "fido-u2f", certificates: [ca.rootCertificatePem] });
});

async function creationOptions(userVerification: "discouraged" | "required" = "discouraged") {
  return generateRegistrationOptions({
    rpName: "twofold test",
    rpID: RP_ID,
    userName: "bob",
    attestationType: "direct",
    supportedAlgorithmIDs: [-7],
    authenticatorSelection: { residentKey: "discouraged", userVerification },
  });
}

function expecting(challenge: string, requireUserVerification = false): Expectation {
  return { challenge, origin: ORIGIN, rpId: RP_ID, requireUserVerification };
}

/** Registers under `faults` and returns both relying parties' rejection messages. */
async function registrationRejections(
  device: EmulatedAuthenticator,
  faults: { authenticator?: AuthenticatorFaults; client?: ClientFaults },
  uv = false,
): Promise<(string | undefined)[]> {
  device.faults = faults.authenticator ?? {};
  const client = new WebAuthnClient({ origin: ORIGIN, faults: faults.client ?? {} });
  const options = await creationOptions(uv ? "required" : "discouraged");
  const response = await client.create(options, device, { pin: PIN });
  const e = expecting(options.challenge, uv);
  return rejections(() => simpleRegister(response, e), () => fido2libRegister(response, e));
}

/** Registers cleanly, then asserts under `faults`; returns both rejection messages. */
async function assertionRejections(
  device: EmulatedAuthenticator,
  faults: { authenticator?: AuthenticatorFaults; client?: ClientFaults },
  uv = false,
): Promise<(string | undefined)[]> {
  device.faults = {};
  const clean = new WebAuthnClient({ origin: ORIGIN });
  const options = await creationOptions(uv ? "required" : "discouraged");
  const stored: StoredCredential = await registerWithBoth(await clean.create(options, device, { pin: PIN }), expecting(options.challenge, uv));
  // One good assertion first, so the stored counter is above zero as in real use.
  const warmup = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: stored.simple.id }], userVerification: uv ? "required" : "discouraged" });
  const good = await clean.get(warmup, device, { pin: PIN });
  const ok = await simpleAuthenticate(good, expecting(warmup.challenge, uv), stored);
  stored.counter = ok.authenticationInfo.newCounter;
  device.faults = faults.authenticator ?? {};
  const client = new WebAuthnClient({ origin: ORIGIN, faults: faults.client ?? {} });
  const request = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: stored.simple.id }], userVerification: uv ? "required" : "discouraged" });
  const response = await client.get(request, device, { pin: PIN });
  const e = expecting(request.challenge, uv);
  return rejections(() => simpleAuthenticate(response, e, stored), () => fido2libAuthenticate(response, e, stored));
}

const fido2 = () => Fido2Authenticator.create({ profile: "nitrokey-fido2", ca });
const fido2WithPin = () => Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca, pin: PIN });
const u2f = () => U2fToken.create({ ca });

type Faults = { authenticator?: AuthenticatorFaults; client?: ClientFaults };
type Case = [name: string, faults: Faults, uv: boolean, simple: RegExp, fido2lib: RegExp];

describe("registration faults make both relying parties reject, each for the fault's reason", () => {
  const cases: Case[] = [
    ["a bogus attestation signature", { authenticator: { bogusSignature: true } }, false, /^verified: false$/, /signature verification failed/],
    ["a wrong rpIdHash", { authenticator: { wrongRpIdHash: true } }, false, /RP ID hash/, /rpIdHash mismatch/],
    ["a wrong AAGUID", { authenticator: { wrongAaguid: true } }, false, /id-fido-gen-ce-aaguid.*not equal/, /AAGUID did not match/],
    ["a CA=true batch certificate", { authenticator: { caAttestationCertificate: true } }, false, /basic constraints CA/, /basic constraints 'cA'/],
    ["a malformed COSE key", { authenticator: { malformedCoseKey: true } }, false, /public key.*alg/i, /normalize algorithm/],
    ["a cleared UP flag", { authenticator: { userPresenceCleared: true } }, false, /User presence/, /User Presence \(UP\)/],
    ["a cleared UV flag", { authenticator: { userVerificationCleared: true } }, true, /User verification/, /flag was not set: UV/],
    ["the get type in clientDataJSON", { client: { wrongType: true } }, false, /response type: webauthn.get/, /type should be 'webauthn.create'/],
    ["another challenge", { client: { wrongChallenge: true } }, false, /response challenge/, /challenge mismatch/],
    ["another origin", { client: { wrongOrigin: "https://evil.example" } }, false, /origin "https:\/\/evil.example"/, /origin did not match/],
    ["malformed CBOR", { client: { malformedAttestationObject: true } }, false, /well formed|CBOR|decode/i, /attestationObject CBOR/],
  ];
  it.each(cases)("rejects %s", async (_name, faults, uv, simple, fido2lib) => {
    const device = uv ? await fido2WithPin() : await fido2();
    const [a, b] = await registrationRejections(device, faults, uv);
    expect(a).toMatch(simple);
    expect(b).toMatch(fido2lib);
  });

  it("rejects an expired batch certificate in simplewebauthn, and in fido2-lib's chain validation", async () => {
    const device = await fido2();
    const [a, b] = await registrationRejections(device, { authenticator: { expiredAttestationCertificate: true } });
    expect(a).toMatch(/not good after/);
    // fido2-lib's attestationResult checks no validity dates; its chain validator does.
    expect(b).toBeUndefined();
    const response = await new WebAuthnClient({ origin: ORIGIN }).create(await creationOptions(), device);
    const leaf = x5cOf(response.response.attestationObject);
    await expect(fido2libCertManager.verifyCertChain([leaf], [toArrayBuffer(ca.rootCertificateDer)])).rejects.toThrow(/validity|expired|date/i);
    device.faults = {};
    const fresh = await new WebAuthnClient({ origin: ORIGIN }).create(await creationOptions(), device);
    await expect(fido2libCertManager.verifyCertChain([x5cOf(fresh.response.attestationObject)], [toArrayBuffer(ca.rootCertificateDer)])).resolves.toBeTruthy();
  });

  it("makes packed self attestation without x5c, which both accept as self attestation", async () => {
    const device = await fido2();
    device.faults = { selfAttestation: true };
    const options = await creationOptions();
    const response = await new WebAuthnClient({ origin: ORIGIN }).create(options, device);
    const stored = await registerWithBoth(response, expecting(options.challenge));
    expect(stored.fmt).toBe("packed");
    expect(stored.attestationType).toBe("self");
    expect(attStmtOf(response.response.attestationObject).has("x5c")).toBe(false);
  });

  it("rejects a bogus fido-u2f attestation signature in both", async () => {
    const [a, b] = await registrationRejections(await u2f(), { authenticator: { bogusSignature: true } });
    expect(a).toMatch(/^verified: false$/);
    expect(b).toMatch(/U2F attestation signature verification failed/);
  });
});

describe("assertion faults make both relying parties reject, each for the fault's reason", () => {
  const cases: Case[] = [
    ["a bogus signature", { authenticator: { bogusSignature: true } }, false, /^verified: false$/, /signature validation failed/],
    ["a wrong rpIdHash", { authenticator: { wrongRpIdHash: true } }, false, /RP ID hash/, /rpIdHash mismatch/],
    ["a cleared UP flag", { authenticator: { userPresenceCleared: true } }, false, /User not present/, /User Presence \(UP\)/],
    ["a cleared UV flag", { authenticator: { userVerificationCleared: true } }, true, /User verification required/, /flag was not set: UV/],
    ["a stuck counter", { authenticator: { counter: "stuck" } }, false, /counter value \d+ was lower than expected/, /counter rollback/],
    ["a zero counter after a non-zero one", { authenticator: { counter: "zero" } }, false, /counter value 0 was lower than expected/, /counter rollback/],
    ["a counter going backwards", { authenticator: { counter: "backwards" } }, false, /counter value \d+ was lower than expected/, /counter rollback/],
    ["the create type in clientDataJSON", { client: { wrongType: true } }, false, /response type: webauthn.create/, /type should be 'webauthn.get'/],
    ["another challenge", { client: { wrongChallenge: true } }, false, /response challenge/, /challenge mismatch/],
    ["another origin", { client: { wrongOrigin: "https://evil.example" } }, false, /origin "https:\/\/evil.example"/, /origin did not match/],
  ];
  it.each(cases)("rejects %s from a FIDO2 key", async (_name, faults, uv, simple, fido2lib) => {
    const device = uv ? await fido2WithPin() : await fido2();
    const [a, b] = await assertionRejections(device, faults, uv);
    expect(a).toMatch(simple);
    expect(b).toMatch(fido2lib);
  });

  const u2fCases = cases.filter(([, f, uv]) => !uv && !f.authenticator?.wrongRpIdHash);
  it.each(u2fCases)("rejects %s from a U2F key", async (_name, faults, uv, simple, fido2lib) => {
    const [a, b] = await assertionRejections(await u2f(), faults, uv);
    expect(a).toMatch(simple);
    expect(b).toMatch(fido2lib);
  });

  it("marks a cross-origin ceremony with topOrigin, which simplewebauthn rejects and fido2-lib does not check", async () => {
    const device = await fido2();
    const [a, b] = await assertionRejections(device, { client: { topOrigin: "https://embedder.example" } });
    expect(a).toMatch(/cross-origin authentication response from top origin of "https:\/\/embedder.example"/);
    expect(b).toBeUndefined();
  });
});

function attStmtOf(attestationObject: string): Map<string, unknown> {
  const decoded = cborDecode(fromBase64Url(attestationObject)) as Map<string, unknown>;
  return decoded.get("attStmt") as Map<string, unknown>;
}

function x5cOf(attestationObject: string): ArrayBuffer {
  const x5c = attStmtOf(attestationObject).get("x5c") as Uint8Array[];
  return toArrayBuffer(x5c[0]!);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}
