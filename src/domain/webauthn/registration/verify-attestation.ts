import { verifyRegistrationResponse, type RegistrationResponseJSON } from "@simplewebauthn/server";
import { decodeAttestationObject } from "@simplewebauthn/server/helpers";
import type { AppDeps } from "../../../app.js";
import type { RelyingPartySettings } from "../../relying-party/index.js";
import { ZERO_AAGUID } from "../../factors/index.js";
import { ACCEPTED_FORMATS, rolePolicy, SUPPORTED_ALGORITHMS, type WebAuthnRole } from "../helpers/ceremony-policy.js";
import { logCeremonyFailure } from "../helpers/failure-cause.js";
import type { RegisteredCredential } from "../store.js";
import { findMdsEntry } from "../metadata/index.js";
import { checkAttestationTrust, type TrustRefusal } from "./check-attestation-trust.js";

/**
 * How far the attestation was checked: the trust anchor its chain ended at,
 * or "unchecked" when the tenant keeps no allow-list (any authenticator may
 * enrol, so the model claim is not verified).
 */
export type AttestationTrust = "tenant_root" | "mds_root" | "unchecked";

/** A verified registration's credential, or why it was refused (`cause` for the audit, never for callers). */
export type AttestationResult =
  | { ok: true; credential: RegisteredCredential; format: string; trust: AttestationTrust }
  | { ok: false; reason: "invalid_assertion" | "authenticator_not_allowed" }
  | { ok: false; reason: "attestation_not_trusted"; cause: TrustRefusal };

/**
 * Verifies a registration response (W3C WebAuthn §7.1) with
 * @simplewebauthn/server against the challenge stored with the pending
 * factor and the tenant's relying party, then applies twofold's own rules:
 * the accepted formats and, when the tenant keeps an AAGUID allow-list, a
 * model on the list proven by an attestation chain to a trust anchor.
 */
export async function verifyAttestation(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  opts: { response: RegistrationResponseJSON; challenge: string; rp: RelyingPartySettings; role: WebAuthnRole },
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
  const listed = opts.rp.allowedAaguids.length > 0;
  if (listed && !opts.rp.allowedAaguids.includes(aaguid)) {
    return { ok: false, reason: "authenticator_not_allowed" };
  }

  // Ensure, under an allow-list, that the attestation proves the model (no none, no self, a chain to a trust anchor).
  let trust: AttestationTrust = "unchecked";
  if (listed) {
    const x5c = decodeAttestationObject(info.attestationObject).get("attStmt").get("x5c");
    const mds = aaguid === ZERO_AAGUID ? undefined : await findMdsEntry(deps.db, aaguid);
    const verdict = await checkAttestationTrust(
      { fmt: info.fmt, x5c, aaguid },
      { tenantRoots: opts.rp.attestationRootCertificates, mds },
      deps.clock.now(),
    );
    if (!verdict.trusted) {
      deps.logger.info({ ceremony: "registration", aaguid, cause: verdict.cause, detail: verdict.detail }, "webauthn attestation not trusted");
      return { ok: false, reason: "attestation_not_trusted", cause: verdict.cause };
    }
    trust = verdict.anchor;
  }

  return {
    ok: true,
    format: info.fmt,
    trust,
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
