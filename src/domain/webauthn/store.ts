import { andWhen, type Statement } from "../../store/statement.js";
import { FACTOR_COLUMNS, returningFactorSql } from "../factors/index.js";
import type { WebAuthnRole } from "./helpers/ceremony-policy.js";

/**
 * The WebAuthn columns' SQL on the factors table (credential id, public key,
 * signature counter, clone mark) and the webauthn_user_handles table's, as
 * parts the WebAuthn flows compose into one statement each.
 */

/** SQL selecting the credential with the statement's `credential` id anywhere in the tenant (any user, either role): one index probe. */
export function credentialByIdSql(s: Statement): string {
  return `SELECT ${FACTOR_COLUMNS} FROM factors WHERE tenant_id = ${s.ref("tenant")} AND credential_id = ${s.ref("credential")}`;
}

/** Scalar SQL: the owner of the statement's `credential`, null when no one in the tenant registered it. */
export function credentialOwnerSql(s: Statement): string {
  return `(SELECT user_id FROM factors WHERE tenant_id = ${s.ref("tenant")} AND credential_id = ${s.ref("credential")})`;
}

/** SQL selecting the user's registered credentials, both roles, oldest first (excludeCredentials lists them all). */
export function userCredentialsSql(s: Statement): string {
  return `SELECT ${FACTOR_COLUMNS} FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND credential_id IS NOT NULL AND state = 'active'
      AND kind IN ('webauthn', 'passwordless')
    ORDER BY created_at, id`;
}

/**
 * A CTE body accepting one assertion's signature counter: THE replay guard of
 * WebAuthn. One conditional UPDATE that succeeds only while the stored
 * counter is still the one the decision was made on (`sign_count = old`), so
 * two racing requests with the same assertion cannot both pass, even for
 * authenticators whose counter is always 0.
 */
export function advanceSignCountCte(
  s: Statement,
  a: { factorId: string; oldCount: number; newCount: number; backedUp: boolean },
  when?: string,
): string {
  return `UPDATE factors SET sign_count = ${s.param(a.newCount, "bigint")}, backed_up = ${s.param(a.backedUp, "boolean")},
      last_used_at = ${s.ref("now")}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(a.factorId, "uuid")}
      AND state = 'active' AND NOT clone_suspected AND sign_count = ${s.param(a.oldCount, "bigint")}${andWhen(when)}
    RETURNING id`;
}

/** A CTE body marking a factor whose counter failed to increase (a cloned key?); it no longer logs in. */
export function markCloneSuspectedCte(s: Statement, factorId: string, when?: string): string {
  return `UPDATE factors SET clone_suspected = true
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(factorId, "uuid")} AND NOT clone_suspected${andWhen(when)}
    RETURNING id`;
}

/** What a verified registration stores. */
export interface RegisteredCredential {
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  aaguid: string;
  backupEligible: boolean;
  backedUp: boolean;
}

/**
 * A CTE body activating a pending enrolment with its credential: one
 * conditional UPDATE that only succeeds while the enrolment is pending,
 * unexpired and still holds the challenge that was answered (so a
 * registration response counts once), and while no one in the tenant has
 * registered the credential id (NOT EXISTS here, the unique index behind it).
 */
export function activateCredentialCte(s: Statement, a: { factorId: string; challenge: string; credential: RegisteredCredential }): string {
  const c = a.credential;
  const [tenant, now, credential] = [s.ref("tenant"), s.ref("now"), s.ref("credential")];
  return `UPDATE factors SET
      state = 'active', confirmed_at = ${now}, pending_expires_at = NULL, webauthn_challenge = NULL,
      credential_id = ${credential}, public_key = ${s.param(Buffer.from(c.publicKey), "bytea")}, sign_count = ${s.param(c.signCount, "bigint")},
      transports = ${s.param(JSON.stringify(c.transports), "jsonb")}, aaguid = ${s.param(c.aaguid, "text")},
      backup_eligible = ${s.param(c.backupEligible, "boolean")}, backed_up = ${s.param(c.backedUp, "boolean")}
    WHERE tenant_id = ${tenant} AND user_id = ${s.ref("user")} AND id = ${s.param(a.factorId, "uuid")}
      AND state = 'pending' AND pending_expires_at > ${now} AND webauthn_challenge = ${s.param(a.challenge, "text")}
      AND NOT EXISTS (SELECT 1 FROM factors WHERE tenant_id = ${tenant} AND credential_id = ${credential})
    RETURNING ${returningFactorSql(s)}`;
}

/** SQL selecting one of the statement's user's WebAuthn factors by id, any state (ConfirmEnrolment). */
export function webauthnFactorSql(s: Statement, factorId: string): string {
  return `SELECT ${returningFactorSql(s)} FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(factorId, "uuid")}
      AND kind IN ('webauthn', 'passwordless')`;
}

/** Scalar SQL: the user's WebAuthn user handle (base64url), null if they never enrolled a credential. */
export function userHandleSql(s: Statement, userSql: string): string {
  return `(SELECT user_handle FROM webauthn_user_handles WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${userSql})`;
}

/**
 * A CTE body making the statement's user's handle on first use, and the
 * handle the statement then holds: the insert-or-keep returns the new one,
 * else the snapshot has the old one, so two concurrent enrolments agree.
 */
export function ensureUserHandleCte(s: Statement, candidate: string, when = "true"): string {
  const [tenant, user] = [s.ref("tenant"), s.ref("user")];
  return `INSERT INTO webauthn_user_handles (tenant_id, user_id, user_handle, created_at)
    SELECT ${tenant}, ${user}, ${s.param(candidate, "text")}, ${s.ref("now")} WHERE ${when}
    ON CONFLICT (tenant_id, user_id) DO NOTHING
    RETURNING user_handle`;
}

/** The role a factors.kind value names, for WebAuthn rows. */
export function roleOf(kind: string): WebAuthnRole {
  return kind === "passwordless" ? "passwordless" : "webauthn";
}
