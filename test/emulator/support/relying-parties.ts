import * as fido2libModule from "fido2-lib";
import { Fido2Lib } from "fido2-lib";
import {
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from "@simplewebauthn/server";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "../../../emulator/index.js";

/** What the relying party expects of a ceremony. */
export interface Expectation {
  challenge: string;
  origin: string;
  rpId: string;
  requireUserVerification?: boolean;
}

/** A credential as both relying parties stored it after registration. */
export interface StoredCredential {
  simple: WebAuthnCredential;
  publicKeyPem: string;
  counter: number;
  userHandle: string | null;
}

/** Copies base64url into a fresh ArrayBuffer, as fido2-lib wants for rawId and authenticatorData. */
export function arrayBufferOf(base64url: string): ArrayBuffer {
  const bytes = Buffer.from(base64url, "base64url");
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

function fido2lib(rpId: string): Fido2Lib {
  return new Fido2Lib({ rpId, rpName: "twofold test", cryptoParams: [-7, -8], attestation: "direct", timeout: 60_000 });
}

/** Registration verified by @simplewebauthn/server. */
export async function simpleRegister(response: RegistrationResponseJSON, e: Expectation) {
  return verifyRegistrationResponse({
    response,
    expectedChallenge: e.challenge,
    expectedOrigin: e.origin,
    expectedRPID: e.rpId,
    requireUserVerification: e.requireUserVerification ?? false,
    supportedAlgorithmIDs: [-7, -8],
  });
}

/** Registration verified by fido2-lib. */
export async function fido2libRegister(response: RegistrationResponseJSON, e: Expectation) {
  return fido2lib(e.rpId).attestationResult(
    {
      id: arrayBufferOf(response.id),
      rawId: arrayBufferOf(response.rawId),
      response: { clientDataJSON: response.response.clientDataJSON, attestationObject: response.response.attestationObject },
    },
    { challenge: e.challenge, origin: e.origin, rpId: e.rpId, factor: e.requireUserVerification ? "first" : "either" },
  );
}

/** Verifies with both and returns the stored credential both agree on. */
export async function registerWithBoth(response: RegistrationResponseJSON, e: Expectation): Promise<StoredCredential & { fmt: string; aaguid: string; attestationType: string | undefined }> {
  const simple = await simpleRegister(response, e);
  if (!simple.verified) throw new Error("simplewebauthn did not verify the registration");
  const f2l = await fido2libRegister(response, e);
  const publicKeyPem = f2l.authnrData.get("credentialPublicKeyPem") as string;
  return {
    simple: simple.registrationInfo.credential,
    publicKeyPem,
    counter: simple.registrationInfo.credential.counter,
    userHandle: null,
    fmt: simple.registrationInfo.fmt,
    aaguid: simple.registrationInfo.aaguid,
    attestationType: f2l.audit.info.get("attestation-type"),
  };
}

/** Assertion verified by @simplewebauthn/server. */
export async function simpleAuthenticate(response: AuthenticationResponseJSON, e: Expectation, stored: StoredCredential) {
  return verifyAuthenticationResponse({
    response,
    expectedChallenge: e.challenge,
    expectedOrigin: e.origin,
    expectedRPID: e.rpId,
    credential: { ...stored.simple, counter: stored.counter },
    requireUserVerification: e.requireUserVerification ?? false,
  });
}

/** Assertion verified by fido2-lib. */
export async function fido2libAuthenticate(response: AuthenticationResponseJSON, e: Expectation, stored: StoredCredential) {
  return fido2lib(e.rpId).assertionResult(
    {
      id: arrayBufferOf(response.id),
      rawId: arrayBufferOf(response.rawId),
      response: {
        clientDataJSON: response.response.clientDataJSON,
        authenticatorData: arrayBufferOf(response.response.authenticatorData),
        signature: response.response.signature,
        ...(response.response.userHandle ? { userHandle: response.response.userHandle } : {}),
      },
    },
    {
      challenge: e.challenge,
      origin: e.origin,
      rpId: e.rpId,
      factor: e.requireUserVerification ? "first" : "either",
      publicKey: stored.publicKeyPem,
      prevCounter: stored.counter,
      userHandle: response.response.userHandle ?? null,
    },
  );
}

/** Verifies with both, checks they agree on the new counter, and stores it. */
export async function authenticateWithBoth(response: AuthenticationResponseJSON, e: Expectation, stored: StoredCredential): Promise<number> {
  const simple = await simpleAuthenticate(response, e, stored);
  if (!simple.verified) throw new Error("simplewebauthn did not verify the assertion");
  const f2l = await fido2libAuthenticate(response, e, stored);
  const counter = f2l.authnrData.get("counter") as number;
  if (counter !== simple.authenticationInfo.newCounter) throw new Error("the relying parties disagree on the counter");
  stored.counter = counter;
  return counter;
}

/** The rejection messages of both relying parties (undefined where one accepted). */
export async function rejections(...attempts: (() => Promise<unknown>)[]): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (const attempt of attempts) {
    try {
      const result = await attempt();
      out.push(typeof result === "object" && result !== null && "verified" in result && result.verified === false ? "verified: false" : undefined);
    } catch (err) {
      out.push(err instanceof Error ? err.message : String(err));
    }
  }
  return out;
}

/** fido2-lib's certificate chain validator (pkijs); exported at runtime but missing from its type declarations. */
export const fido2libCertManager = (fido2libModule as unknown as {
  CertManager: { verifyCertChain(certs: ArrayBuffer[], roots: ArrayBuffer[]): Promise<unknown> };
}).CertManager;
