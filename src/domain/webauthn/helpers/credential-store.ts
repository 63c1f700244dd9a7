import type { Queryable } from "../../../store/db.js";
import { isUuid } from "../../factors/factor-store.js";
import { CREDENTIAL_COLUMNS, type CredentialRow, type WebAuthnRole } from "./credential-row.js";

/** A pending WebAuthn enrolment to insert: the registration challenge waits on the row. */
export interface NewWebAuthnFactor {
  tenant: string;
  userId: string;
  id: string;
  role: WebAuthnRole;
  label: string;
  createdAt: Date;
  pendingExpiresAt: Date;
  challenge: string;
}

/**
 * Inserts a pending WebAuthn factor unless the user already holds `max` live
 * factors (the count and the insert are one statement, as for OTP factors).
 */
export async function insertPendingWebAuthnFactor(q: Queryable, f: NewWebAuthnFactor, max: number): Promise<CredentialRow | undefined> {
  const result = await q.query<CredentialRow>(
    `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, pending_expires_at, token_profile, webauthn_challenge)
     SELECT $1::text, $2::text, $3::uuid, $4::text, $5::text, 'pending', $6::timestamptz, $7::timestamptz, 'generic', $8::text
     WHERE (SELECT count(*) FROM factors
            WHERE tenant_id = $1::text AND user_id = $2::text
              AND (state = 'active' OR pending_expires_at > $6::timestamptz)) < $9::integer
     RETURNING ${CREDENTIAL_COLUMNS}`,
    [f.tenant, f.userId, f.id, f.role, f.label, f.createdAt, f.pendingExpiresAt, f.challenge, max],
  );
  return result.rows[0];
}

/** One of the user's WebAuthn factors by factor id, any state. */
export async function findWebAuthnFactor(q: Queryable, tenant: string, userId: string, id: string): Promise<CredentialRow | undefined> {
  if (!isUuid(id)) return undefined;
  const result = await q.query<CredentialRow>(
    `SELECT ${CREDENTIAL_COLUMNS} FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid AND kind IN ('webauthn', 'passwordless')`,
    [tenant, userId, id],
  );
  return result.rows[0];
}

/** The credential with this id anywhere in the tenant (any user, either role): one index probe. */
export async function findCredential(q: Queryable, tenant: string, credentialId: string): Promise<CredentialRow | undefined> {
  const result = await q.query<CredentialRow>(
    `SELECT ${CREDENTIAL_COLUMNS} FROM factors WHERE tenant_id = $1::text AND credential_id = $2::text`,
    [tenant, credentialId],
  );
  return result.rows[0];
}

/** The user's registered credentials: both roles, or one. */
export async function listCredentials(q: Queryable, tenant: string, userId: string, role?: WebAuthnRole): Promise<CredentialRow[]> {
  const result = await q.query<CredentialRow>(
    `SELECT ${CREDENTIAL_COLUMNS} FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text AND credential_id IS NOT NULL AND state = 'active'
       AND kind IN ('webauthn', 'passwordless') AND ($3::text IS NULL OR kind = $3::text)
     ORDER BY created_at, id`,
    [tenant, userId, role ?? null],
  );
  return result.rows;
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
 * Activates a pending enrolment with its credential: one conditional UPDATE
 * that only succeeds while the enrolment is pending, unexpired and still holds
 * the challenge that was answered (so a registration response counts once).
 * Undefined when it lost that race or the credential id is registered already
 * (NOT EXISTS here, the unique index behind it).
 */
export async function activateCredential(
  q: Queryable,
  a: { tenant: string; userId: string; id: string; challenge: string; now: Date; credential: RegisteredCredential },
): Promise<CredentialRow | undefined> {
  const c = a.credential;
  const result = await q.query<CredentialRow>(
    `UPDATE factors SET
       state = 'active', confirmed_at = $5::timestamptz, pending_expires_at = NULL, webauthn_challenge = NULL,
       credential_id = $6::text, public_key = $7::bytea, sign_count = $8::bigint, transports = $9::jsonb,
       aaguid = $10::text, backup_eligible = $11::boolean, backed_up = $12::boolean
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid
       AND state = 'pending' AND pending_expires_at > $5::timestamptz AND webauthn_challenge = $4::text
       AND NOT EXISTS (SELECT 1 FROM factors WHERE tenant_id = $1::text AND credential_id = $6::text)
     RETURNING ${CREDENTIAL_COLUMNS}`,
    [a.tenant, a.userId, a.id, a.challenge, a.now, c.credentialId, Buffer.from(c.publicKey), c.signCount,
      JSON.stringify(c.transports), c.aaguid, c.backupEligible, c.backedUp],
  );
  return result.rows[0];
}

/**
 * Accepts one assertion's signature counter: THE replay guard of WebAuthn.
 * One conditional UPDATE that succeeds only while the stored counter is still
 * the one the decision was made on (`sign_count = $old`), so two racing
 * requests with the same assertion cannot both pass, even for authenticators
 * whose counter is always 0.
 */
export async function advanceSignCount(
  q: Queryable,
  a: { tenant: string; userId: string; id: string; oldCount: number; newCount: number; backedUp: boolean; now: Date },
): Promise<CredentialRow | undefined> {
  const result = await q.query<CredentialRow>(
    `UPDATE factors SET sign_count = $5::bigint, backed_up = $6::boolean, last_used_at = $7::timestamptz
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid
       AND state = 'active' AND NOT clone_suspected AND sign_count = $4::bigint
     RETURNING ${CREDENTIAL_COLUMNS}`,
    [a.tenant, a.userId, a.id, a.oldCount, a.newCount, a.backedUp, a.now],
  );
  return result.rows[0];
}

/** Marks a factor whose counter went backwards (DESIGN "Signature counter"); true if this call set the mark. */
export async function markCloneSuspected(q: Queryable, tenant: string, userId: string, id: string): Promise<boolean> {
  const result = await q.query(
    `UPDATE factors SET clone_suspected = true
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid AND NOT clone_suspected
     RETURNING id`,
    [tenant, userId, id],
  );
  return result.rows.length === 1;
}
