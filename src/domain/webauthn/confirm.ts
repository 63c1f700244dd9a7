import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, recordAudit, writtenAuditRows, type AuditDetails, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import { authenticatorName, factorFromRow, findFactor, isUuid, type Factor, type FactorRow, type FailureReason } from "../factors/index.js";
import { policyRefusalError } from "../policy/index.js";
import { relyingPartySettingsFromJson, relyingPartySettingsJsonSql, type RelyingPartySettingsRow } from "../relying-party/index.js";
import { verifyAttestation } from "./registration/verify-attestation.js";
import { activateCredentialCte, roleOf, webauthnFactorSql } from "./store.js";

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

interface ReadRow extends Partial<FactorRow> {
  h_rp: RelyingPartySettingsRow | null;
  h_in_use: boolean;
}

/**
 * Proves a pending WebAuthn enrolment with the registration response, in two
 * statements. The first reads the factor, the tenant's relying party and
 * whether the credential id is registered anywhere in the tenant; the
 * attestation is then checked against the challenge stored with the factor
 * and the relying party (origins, rp id, AAGUID allow-list). The second
 * writes the outcome with its audit row: on success the factor becomes
 * ACTIVE with its credential in one conditional UPDATE that also consumes
 * the challenge. A credential id already registered anywhere in the tenant
 * is FAILED_PRECONDITION (CREDENTIAL_ALREADY_REGISTERED): the same key cannot
 * serve twice, nor in both roles.
 */
export async function confirmWebAuthnEnrolment(
  deps: Pick<AppDeps, "db" | "clock" | "config" | "logger">,
  meta: RequestMeta,
  input: ConfirmWebAuthnInput,
): Promise<ConfirmWebAuthnResult> {
  if (!isUuid(input.factorId)) throw notFound("factor");
  const now = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  s.define("credential", input.attestation.id, "text");
  s.with("f", webauthnFactorSql(s, input.factorId));
  const read = await s.run<ReadRow>(
    deps.db,
    `SELECT f.*, ${relyingPartySettingsJsonSql(s)} AS h_rp,
       EXISTS (SELECT 1 FROM factors WHERE tenant_id = ${s.ref("tenant")} AND credential_id = ${s.ref("credential")}) AS h_in_use
     FROM (SELECT 1) one LEFT JOIN f ON true`,
  );
  const head = read.rows[0];
  const row = head?.id === null || head?.id === undefined ? undefined : (head as ReadRow & FactorRow);
  // Ensure the factor exists for this tenant and user, is WebAuthn, and is still pending.
  if (row === undefined) throw notFound("factor");
  if (row.state === "active") throw failedPrecondition("the factor is already confirmed", "ALREADY_CONFIRMED");
  if (row.pending_expires_at === null || row.pending_expires_at.getTime() <= now.getTime() || row.webauthn_challenge === null) {
    throw failedPrecondition("the enrolment has expired; enrol again", "ENROLMENT_EXPIRED");
  }
  const role = roleOf(row.kind);
  // Ensure the tenant still offers the role (its policy may have changed since Enrol).
  if (row.disabled_by_policy === true) throw policyRefusalError("disabled", role);
  const failure = (reason: string, extra: Record<string, string> = {}): AuditDetails => ({ provider: "webauthn", factor_kind: role, reason, ...extra });
  const refuse = async (reason: FailureReason | "credential_already_registered", extra: Record<string, string> = {}): Promise<void> => {
    await recordAudit(deps, deps.db, meta, now, { kind: "factor.confirm_failed", userId: input.userId, factorId: row.id, details: failure(reason, extra) });
  };

  // Ensure the attestation verifies and the authenticator is allowed (and, under an allow-list, proven: docs/webauthn-trust.md).
  const rp = relyingPartySettingsFromJson(deps.config, head?.h_rp);
  const result = await verifyAttestation(deps, { response: input.attestation, challenge: row.webauthn_challenge, rp, role });
  if (!result.ok) {
    // The cause of an untrusted attestation is for the audit trail, never for the caller.
    await refuse(result.reason, "cause" in result ? { cause: result.cause } : {});
    return { confirmed: false, factor: factorFromRow(row), reason: result.reason };
  }
  // Ensure the credential is not registered already (either role, any user of the tenant).
  if (head?.h_in_use === true) {
    await refuse("credential_already_registered");
    throw credentialInUse();
  }

  const w = new Statement();
  w.define("tenant", meta.caller.tenant, "text");
  w.define("user", input.userId, "text");
  w.define("now", now, "timestamptz");
  w.define("credential", result.credential.credentialId, "text");
  w.with("activated", activateCredentialCte(w, { factorId: row.id, challenge: row.webauthn_challenge, credential: result.credential }));
  w.with(
    "audit",
    auditInsertCte(w, meta, now, [
      {
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
        when: "EXISTS (SELECT 1 FROM activated)",
      },
      // A concurrent confirmation consumed the challenge, or registered this credential first.
      { kind: "factor.confirm_failed", userId: input.userId, factorId: row.id, details: failure("replayed"), when: "NOT EXISTS (SELECT 1 FROM activated)" },
    ]),
  );
  let written;
  try {
    written = await w.run<Partial<FactorRow> & { audits: WrittenAuditRow[] | null }>(
      deps.db,
      `SELECT activated.*, ${writtenAuditRows("audit")} FROM (SELECT 1) one LEFT JOIN activated ON true`,
    );
  } catch (err) {
    // Another enrolment registered the same credential id between the read and this update.
    if (isUniqueViolation(err)) {
      await refuse("credential_already_registered");
      throw credentialInUse();
    }
    throw err;
  }
  const out = written.rows[0];
  logWrittenAudits(deps.logger, meta, out?.audits);
  if (out?.id === null || out?.id === undefined) {
    // Lost a race: show the factor as the winner left it (a new statement sees its commit).
    const current = await findFactor(deps.db, meta.caller.tenant, input.userId, row.id);
    return { confirmed: false, factor: factorFromRow(current ?? row), reason: "replayed" };
  }
  return { confirmed: true, factor: factorFromRow(out as FactorRow) };
}
