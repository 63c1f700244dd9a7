import { generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { RelyingParty } from "../../relying-party/index.js";
import type { FactorRow } from "../../factors/index.js";
import { CEREMONY_TIMEOUT_MS, rolePolicy, SUPPORTED_ALGORITHMS, type WebAuthnRole } from "../helpers/ceremony-policy.js";

/**
 * The PublicKeyCredentialCreationOptions a page hands to
 * navigator.credentials.create(), built by @simplewebauthn/server: the
 * tenant's relying party, the stable user handle, our challenge, direct
 * attestation (so packed and fido-u2f statements arrive), ES256 and EdDSA,
 * and every credential the user already has, in either role, excluded
 * (docs/design.md "WebAuthn": one token, one role).
 */
export async function creationOptions(opts: {
  rp: RelyingParty;
  role: WebAuthnRole;
  userHandle: string;
  userName: string;
  userDisplayName: string;
  challenge: Uint8Array;
  existing: readonly FactorRow[];
}): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const policy = rolePolicy(opts.role);
  return generateRegistrationOptions({
    rpName: opts.rp.rpName,
    rpID: opts.rp.rpId,
    userName: opts.userName,
    userDisplayName: opts.userDisplayName,
    userID: new Uint8Array(Buffer.from(opts.userHandle, "base64url")),
    challenge: new Uint8Array(opts.challenge),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "direct",
    excludeCredentials: opts.existing.flatMap((c) => (c.credential_id === null ? [] : [{ id: c.credential_id, transports: c.transports }])),
    authenticatorSelection: { residentKey: policy.residentKey, userVerification: policy.userVerification },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}
