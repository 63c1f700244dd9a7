import { verifyRegistrationResponse, type RegistrationResponseJSON } from "@simplewebauthn/server";
import type { Logger } from "pino";
import type { RelyingParty } from "../../relying-party/index.js";
import { ACCEPTED_FORMATS, rolePolicy, SUPPORTED_ALGORITHMS, type WebAuthnRole } from "../helpers/ceremony-policy.js";
import type { RegisteredCredential } from "../store.js";
import { logCeremonyFailure } from "../helpers/failure-cause.js";

/** A verified registration's credential, or why it was refused. */
export type AttestationResult =
  | { ok: true; credential: RegisteredCredential; format: string }
  | { ok: false; reason: "invalid_assertion" | "authenticator_not_allowed" };

/**
 * Verifies a registration response (W3C WebAuthn §7.1) with
 * @simplewebauthn/server against the challenge stored with the pending
 * factor and the tenant's relying party, then applies twofold's own rules.
 */
export async function verifyAttestation(
  deps: { logger: Logger },
  opts: { response: RegistrationResponseJSON; challenge: string; rp: RelyingParty; role: WebAuthnRole },
): Promise<AttestationResult> {
  // Ensure signature, challenge, origin, rp id, type, flags and algorithm check out.
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: opts.response,
      expectedChallenge: opts.challenge,
      expectedOrigin: opts.rp.allowedOrigins,
      expectedRPID: opts.rp.rpId,
      expectedType: "webauthn.create",
      requireUserPresence: true,
      requireUserVerification: rolePolicy(opts.role).requireUserVerification,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  } catch (err) {
    logCeremonyFailure(deps.logger, "registration", err);
    return { ok: false, reason: "invalid_assertion" };
  }
  if (!verified.verified) return { ok: false, reason: "invalid_assertion" };
  const info = verified.registrationInfo;

  // Ensure the attestation format is one twofold accepts.
  if (!ACCEPTED_FORMATS.includes(info.fmt)) {
    logCeremonyFailure(deps.logger, "registration", new Error(`attestation format ${info.fmt} not accepted`));
    return { ok: false, reason: "invalid_assertion" };
  }

  // Ensure the credential id the browser reports is the one the authenticator attested.
  if (info.credential.id !== opts.response.id) {
    logCeremonyFailure(deps.logger, "registration", new Error("credential id differs from the attested one"));
    return { ok: false, reason: "invalid_assertion" };
  }

  // Ensure the authenticator model is on the tenant's allow-list, when it keeps one.
  const aaguid = info.aaguid.toLowerCase();
  if (opts.rp.allowedAaguids.length > 0 && !opts.rp.allowedAaguids.includes(aaguid)) {
    return { ok: false, reason: "authenticator_not_allowed" };
  }

  return {
    ok: true,
    format: info.fmt,
    credential: {
      credentialId: info.credential.id,
      publicKey: info.credential.publicKey,
      signCount: info.credential.counter,
      transports: opts.response.response.transports ?? [],
      aaguid,
      backupEligible: info.credentialDeviceType === "multiDevice",
      backedUp: info.credentialBackedUp,
    },
  };
}
