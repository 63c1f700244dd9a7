import type { AppDeps } from "../../app.js";
import type { Queryable } from "../../store/db.js";
import { Statement } from "../../store/statement.js";

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

export interface RelyingPartyRow {
  rp_id: string;
  rp_name: string;
  allowed_origins: string[];
  allowed_aaguids: string[];
}

/**
 * Scalar SQL: the tenant's relying_parties row as JSON (null when it set
 * none), for a composed statement that needs it beside other reads.
 */
export function relyingPartyJsonSql(s: Statement): string {
  return `(SELECT row_to_json(rp) FROM (SELECT rp_id, rp_name, allowed_origins, allowed_aaguids
            FROM relying_parties WHERE tenant_id = ${s.ref("tenant")}) rp)`;
}

/** A relying_parties row with its attestation roots (base64 DER), as relyingPartySettingsJsonSql returns it. */
export interface RelyingPartySettingsRow extends RelyingPartyRow {
  attestation_roots: string[];
}

/** Scalar SQL: relyingPartyJsonSql with the attestation roots, for ConfirmEnrolment and GetRelyingParty. */
export function relyingPartySettingsJsonSql(s: Statement): string {
  return `(SELECT row_to_json(rp) FROM (SELECT rp_id, rp_name, allowed_origins, allowed_aaguids, attestation_roots
            FROM relying_parties WHERE tenant_id = ${s.ref("tenant")}) rp)`;
}

/** The settings from relyingPartySettingsJsonSql's value, the configured default (no roots) when the tenant set none. */
export function relyingPartySettingsFromJson(config: AppDeps["config"], row: RelyingPartySettingsRow | null | undefined): RelyingPartySettings {
  return {
    ...relyingPartyFromJson(config, row),
    attestationRootCertificates: (row?.attestation_roots ?? []).map((b) => new Uint8Array(Buffer.from(b, "base64"))),
  };
}

/** The tenant's relying party with its attestation roots (else the default, with none). */
export async function relyingPartySettingsFor(deps: Pick<AppDeps, "db" | "config">, tenant: string): Promise<RelyingPartySettings> {
  const s = new Statement();
  s.define("tenant", tenant, "text");
  const r = await s.run<{ rp: RelyingPartySettingsRow | null }>(deps.db, `SELECT ${relyingPartySettingsJsonSql(s)} AS rp`);
  return relyingPartySettingsFromJson(deps.config, r.rows[0]?.rp);
}

/** The relying party from relyingPartyJsonSql's value, the configured default when the tenant set none. */
export function relyingPartyFromJson(config: AppDeps["config"], row: RelyingPartyRow | null | undefined): RelyingParty {
  if (row === null || row === undefined) return defaultRelyingParty(config);
  return { rpId: row.rp_id, rpName: row.rp_name, allowedOrigins: row.allowed_origins, allowedAaguids: row.allowed_aaguids };
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

/** A CTE body replacing the tenant's relying party with one upsert. */
export function saveRelyingPartyCte(s: Statement, rp: RelyingPartySettings, updatedBy: string): string {
  const roots = JSON.stringify(rp.attestationRootCertificates.map((d) => Buffer.from(d).toString("base64")));
  return `INSERT INTO relying_parties (tenant_id, rp_id, rp_name, allowed_origins, allowed_aaguids, attestation_roots, updated_at, updated_by)
    VALUES (${s.ref("tenant")}, ${s.param(rp.rpId, "text")}, ${s.param(rp.rpName, "text")}, ${s.param(JSON.stringify(rp.allowedOrigins), "jsonb")},
            ${s.param(JSON.stringify(rp.allowedAaguids), "jsonb")}, ${s.param(roots, "jsonb")}, ${s.ref("now")}, ${s.param(updatedBy, "text")})
    ON CONFLICT (tenant_id) DO UPDATE SET
      rp_id = EXCLUDED.rp_id, rp_name = EXCLUDED.rp_name, allowed_origins = EXCLUDED.allowed_origins,
      allowed_aaguids = EXCLUDED.allowed_aaguids, attestation_roots = EXCLUDED.attestation_roots,
      updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
    RETURNING tenant_id`;
}

