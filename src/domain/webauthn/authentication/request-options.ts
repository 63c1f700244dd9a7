import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { RelyingParty } from "../../relying-party/index.js";
import type { FactorRow } from "../../factors/index.js";
import { CEREMONY_TIMEOUT_MS, rolePolicy, type WebAuthnRole } from "../helpers/ceremony-policy.js";

/**
 * The PublicKeyCredentialRequestOptions for navigator.credentials.get(),
 * built by @simplewebauthn/server with the transaction's challenge. A second
 * factor lists the user's second-factor credentials only (never passwordless
 * ones); passwordless lists none, so the authenticator offers its
 * discoverable credentials, and requires user verification.
 */
export async function requestOptions(opts: {
  rp: RelyingParty;
  role: WebAuthnRole;
  challenge: string;
  allow: readonly FactorRow[];
}): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: opts.rp.rpId,
    challenge: new Uint8Array(Buffer.from(opts.challenge, "base64url")),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: rolePolicy(opts.role).userVerification,
    allowCredentials: opts.allow.flatMap((c) => (c.credential_id === null ? [] : [{ id: c.credential_id, transports: c.transports }])),
  });
}

/** The request options JSON of a passwordless login: no credentials listed, user verification required. */
export async function passwordlessRequestOptions(rp: RelyingParty, challenge: string): Promise<string> {
  return JSON.stringify(await requestOptions({ rp, role: "passwordless", challenge, allow: [] }));
}
