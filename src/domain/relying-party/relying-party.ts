import type { AppDeps } from "../../app.js";
import type { Queryable } from "../../store/db.js";

/**
 * A tenant's WebAuthn relying party (W3C WebAuthn Level 3 §5.4.2
 * PublicKeyCredentialRpEntity, plus the origins and authenticators it accepts).
 */
export interface RelyingParty {
  /** A registrable domain (or `localhost`), lower-case. */
  rpId: string;
  rpName: string;
  /** Normalised origins (`scheme://host[:port]`) the ceremony may come from. */
  allowedOrigins: string[];
  /** Lower-case AAGUIDs; empty means any authenticator may enrol. */
  allowedAaguids: string[];
}

/**
 * A relying party with the attestation trust anchors its administrator set:
 * what SetRelyingParty stores and GetRelyingParty shows. Kept apart from
 * {@link RelyingParty} so login ceremonies do not load certificates they
 * never use.
 */
export interface RelyingPartySettings extends RelyingParty {
  /** DER X.509 CA certificates attestation chains may end at (docs/webauthn-trust.md). */
  attestationRootCertificates: Uint8Array[];
}

interface RelyingPartyRow {
  rp_id: string;
  rp_name: string;
  allowed_origins: string[];
  allowed_aaguids: string[];
}

interface RelyingPartySettingsRow extends RelyingPartyRow {
  /** base64 DER. */
  attestation_roots: string[];
}

/** The configured default, for tenants that never set their own. */
export function defaultRelyingParty(config: AppDeps["config"]): RelyingParty {
  return { rpId: config.rpId, rpName: config.rpName, allowedOrigins: [...config.rpOrigins], allowedAaguids: [] };
}

/**
 * The relying party WebAuthn ceremonies of `tenant` use: the tenant's own
 * setting, else the service configuration's default. Registration and
 * authentication both call this, so a change applies to the next ceremony.
 */
export async function relyingPartyFor(
  deps: Pick<AppDeps, "db" | "config">,
  tenant: string,
  q: Queryable = deps.db,
): Promise<RelyingParty> {
  const r = await q.query<RelyingPartyRow>(
    `SELECT rp_id, rp_name, allowed_origins, allowed_aaguids FROM relying_parties WHERE tenant_id = $1`,
    [tenant],
  );
  const row = r.rows[0];
  if (row === undefined) return defaultRelyingParty(deps.config);
  return {
    rpId: row.rp_id,
    rpName: row.rp_name,
    allowedOrigins: row.allowed_origins,
    allowedAaguids: row.allowed_aaguids,
  };
}

/**
 * The tenant's relying party with its attestation roots (else the default,
 * with none). GetRelyingParty, and ConfirmEnrolment, whose allow-list check
 * needs the roots, read it; other ceremonies use {@link relyingPartyFor}.
 */
export async function relyingPartySettingsFor(
  deps: Pick<AppDeps, "db" | "config">,
  tenant: string,
  q: Queryable = deps.db,
): Promise<RelyingPartySettings> {
  const r = await q.query<RelyingPartySettingsRow>(
    `SELECT rp_id, rp_name, allowed_origins, allowed_aaguids, attestation_roots FROM relying_parties WHERE tenant_id = $1`,
    [tenant],
  );
  const row = r.rows[0];
  if (row === undefined) return { ...defaultRelyingParty(deps.config), attestationRootCertificates: [] };
  return {
    rpId: row.rp_id,
    rpName: row.rp_name,
    allowedOrigins: row.allowed_origins,
    allowedAaguids: row.allowed_aaguids,
    attestationRootCertificates: row.attestation_roots.map((b) => new Uint8Array(Buffer.from(b, "base64"))),
  };
}

/** Replaces the tenant's relying party with one upsert. */
export async function saveRelyingParty(q: Queryable, tenant: string, rp: RelyingPartySettings, at: Date, updatedBy: string): Promise<void> {
  await q.query(
    `INSERT INTO relying_parties (tenant_id, rp_id, rp_name, allowed_origins, allowed_aaguids, attestation_roots, updated_at, updated_by)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8)
     ON CONFLICT (tenant_id) DO UPDATE SET
       rp_id = EXCLUDED.rp_id, rp_name = EXCLUDED.rp_name, allowed_origins = EXCLUDED.allowed_origins,
       allowed_aaguids = EXCLUDED.allowed_aaguids, attestation_roots = EXCLUDED.attestation_roots,
       updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [
      tenant,
      rp.rpId,
      rp.rpName,
      JSON.stringify(rp.allowedOrigins),
      JSON.stringify(rp.allowedAaguids),
      JSON.stringify(rp.attestationRootCertificates.map((d) => Buffer.from(d).toString("base64"))),
      at,
      updatedBy,
    ],
  );
}
