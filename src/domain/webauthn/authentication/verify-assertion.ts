import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Logger } from "pino";
import type { RelyingParty } from "../../relying-party/index.js";
import type { FactorRow } from "../../factors/index.js";
import { rolePolicy, type WebAuthnRole } from "../helpers/ceremony-policy.js";
import { logCeremonyFailure } from "../helpers/failure-cause.js";

/** A verified assertion's facts, or a refusal: every cause is INVALID_ASSERTION to the caller. */
export type AssertionResult =
  | { ok: true; newCounter: number; userVerified: boolean; backedUp: boolean }
  | { ok: false; reason: "invalid_assertion" };

/**
 * Verifies an assertion (W3C WebAuthn §7.2) with @simplewebauthn/server:
 * signature under the stored public key, the transaction's challenge, an
 * allowed origin, the rp id hash, UP, and UV where the role requires it.
 * The counter rule is twofold's own (decideCounter), so the library is
 * handed counter 0 and never refuses on it.
 */
export async function verifyAssertion(
  deps: { logger: Logger },
  opts: {
    response: AuthenticationResponseJSON;
    challenge: string;
    rp: RelyingParty;
    role: WebAuthnRole;
    credential: Pick<FactorRow, "credential_id" | "public_key" | "transports">;
  },
): Promise<AssertionResult> {
  const { credential } = opts;
  if (credential.credential_id === null || credential.public_key === null) return { ok: false, reason: "invalid_assertion" };
  try {
    const verified = await verifyAuthenticationResponse({
      response: opts.response,
      expectedChallenge: opts.challenge,
      expectedOrigin: opts.rp.allowedOrigins,
      expectedRPID: opts.rp.rpId,
      expectedType: "webauthn.get",
      requireUserVerification: rolePolicy(opts.role).requireUserVerification,
      credential: { id: credential.credential_id, publicKey: new Uint8Array(credential.public_key), counter: 0, transports: credential.transports },
    });
    if (!verified.verified) return { ok: false, reason: "invalid_assertion" };
    const info = verified.authenticationInfo;
    return { ok: true, newCounter: info.newCounter, userVerified: info.userVerified, backedUp: info.credentialBackedUp };
  } catch (err) {
    logCeremonyFailure(deps.logger, "authentication", err);
    return { ok: false, reason: "invalid_assertion" };
  }
}
