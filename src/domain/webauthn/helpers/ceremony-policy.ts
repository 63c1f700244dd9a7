/** The two WebAuthn roles, as factors.kind stores them: they never stand in for each other. */
export type WebAuthnRole = "webauthn" | "passwordless";

/** COSE algorithms twofold accepts: ES256 (every Nitrokey) and EdDSA (Nitrokey 3). RFC 9053 §2.1, RFC 8037. */
export const SUPPORTED_ALGORITHMS = [-7, -8];

/** Attestation formats accepted (docs/design.md "WebAuthn"): none, packed (FIDO2 keys), fido-u2f (U2F keys). */
export const ACCEPTED_FORMATS: readonly string[] = ["none", "packed", "fido-u2f"];

/** How long the browser may take over a ceremony; the server-side limits are the pending TTL and the transaction TTL. */
export const CEREMONY_TIMEOUT_MS = 120_000;

/** Bytes of a WebAuthn challenge (§13.4.3 asks for at least 16). */
export const CHALLENGE_BYTES = 32;

/**
 * What each role asks of the authenticator (docs/design.md "WebAuthn"): a second
 * factor follows a password, so presence is enough and no resident key is
 * spent; passwordless replaces the password, so the key must be discoverable
 * and verify the user (PIN).
 */
export function rolePolicy(role: WebAuthnRole): {
  residentKey: "discouraged" | "required";
  userVerification: "discouraged" | "required";
  requireUserVerification: boolean;
} {
  return role === "passwordless"
    ? { residentKey: "required", userVerification: "required", requireUserVerification: true }
    : { residentKey: "discouraged", userVerification: "discouraged", requireUserVerification: false };
}
