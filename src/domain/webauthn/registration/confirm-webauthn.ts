import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import type { AppDeps } from "../../../app.js";
import { recordAudit } from "../../audit/index.js";
import type { RequestMeta } from "../../caller.js";
import { failedPrecondition, notFound } from "../../errors.js";
import type { Factor } from "../../factors/factor.js";
import type { FailureReason } from "../../factors/failure-reason.js";
import { factorFromRow } from "../../factors/factor-row.js";
import { relyingPartySettingsFor } from "../../relying-party/index.js";
import type { CredentialRow, WebAuthnRole } from "../helpers/credential-row.js";
import { activateCredential, findCredential, findWebAuthnFactor } from "../helpers/credential-store.js";
import { authenticatorName } from "../helpers/known-authenticators.js";
import { verifyAttestation } from "./verify-attestation.js";

/** A pending WebAuthn factor of the user's, and the browser's registration response. */
export interface ConfirmWebAuthnInput {
  userId: string;
  factorId: string;
  attestation: RegistrationResponseJSON;
}

/** Confirmed, or still pending with the reason (a failing attestation is an ordinary outcome). */
export type ConfirmWebAuthnResult =
  | { confirmed: true; factor: Factor }
  | { confirmed: false; factor: Factor; reason: FailureReason };

/** Raised when the credential id is registered already, in any role, for anyone in the tenant. */
function credentialInUse(): Error {
  return failedPrecondition("this authenticator credential is already registered", "CREDENTIAL_ALREADY_REGISTERED");
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "23505";
}

/**
 * Proves a pending WebAuthn enrolment with the registration response. The
 * attestation is checked against the challenge stored with the factor and
 * the tenant's relying party (origins, rp id, AAGUID allow-list and its
 * trust anchors, docs/webauthn-trust.md); the factor
 * becomes ACTIVE with its credential in one conditional UPDATE that also
 * consumes the challenge. A credential id already registered anywhere in the
 * tenant is FAILED_PRECONDITION (CREDENTIAL_ALREADY_REGISTERED): the same key
 * cannot serve twice, nor in both roles.
 */
export async function confirmWebAuthnEnrolment(
  deps: Pick<AppDeps, "db" | "clock" | "config" | "logger">,
  meta: RequestMeta,
  input: ConfirmWebAuthnInput,
): Promise<ConfirmWebAuthnResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const row = await findWebAuthnFactor(deps.db, tenant, input.userId, input.factorId);
  // Ensure the factor exists for this tenant and user, is WebAuthn, and is still pending.
  if (row === undefined) throw notFound("factor");
  if (row.state === "active") throw failedPrecondition("the factor is already confirmed", "ALREADY_CONFIRMED");
  if (row.pending_expires_at === null || row.pending_expires_at.getTime() <= now.getTime() || row.webauthn_challenge === null) {
    throw failedPrecondition("the enrolment has expired; enrol again", "ENROLMENT_EXPIRED");
  }
  const role = row.kind as WebAuthnRole;
  const audit = (reason: string, extra: Record<string, string> = {}) =>
    recordAudit(deps, deps.db, meta, now, {
      kind: "factor.confirm_failed",
      userId: input.userId,
      factorId: row.id,
      details: { provider: "webauthn", factor_kind: role, reason, ...extra },
    });

  // Ensure the attestation verifies and the authenticator is allowed (and, under an allow-list, proven).
  const rp = await relyingPartySettingsFor(deps, tenant);
  const result = await verifyAttestation(deps, { response: input.attestation, challenge: row.webauthn_challenge, rp, role });
  if (!result.ok) {
    await audit(result.reason, "cause" in result ? { cause: result.cause } : {});
    return { confirmed: false, factor: factorFromRow(row), reason: result.reason };
  }

  // Ensure the credential is not registered already (either role, any user of the tenant).
  if ((await findCredential(deps.db, tenant, result.credential.credentialId)) !== undefined) {
    await audit("credential_already_registered");
    throw credentialInUse();
  }

  let activated: CredentialRow | undefined;
  try {
    activated = await activateCredential(deps.db, {
      tenant,
      userId: input.userId,
      id: row.id,
      challenge: row.webauthn_challenge,
      now,
      credential: result.credential,
    });
  } catch (err) {
    // Another enrolment registered the same credential id between our check and this update.
    if (isUniqueViolation(err)) {
      await audit("credential_already_registered");
      throw credentialInUse();
    }
    throw err;
  }
  if (activated === undefined) {
    // A concurrent confirmation consumed the challenge, or registered this credential first.
    await audit("replayed");
    return { confirmed: false, factor: factorFromRow((await findWebAuthnFactor(deps.db, tenant, input.userId, row.id)) ?? row), reason: "replayed" };
  }
  await recordAudit(deps, deps.db, meta, now, {
    kind: "factor.confirmed",
    userId: input.userId,
    factorId: row.id,
    details: {
      provider: "webauthn",
      factor_kind: role,
      attestation_format: result.format,
      attestation_trust: result.trust,
      aaguid: result.credential.aaguid,
      authenticator_name: authenticatorName(result.credential.aaguid) ?? "",
    },
  });
  return { confirmed: true, factor: factorFromRow(activated) };
}
