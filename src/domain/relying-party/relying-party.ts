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
export function saveRelyingPartyCte(s: Statement, rp: RelyingParty, updatedBy: string): string {
  return `INSERT INTO relying_parties (tenant_id, rp_id, rp_name, allowed_origins, allowed_aaguids, updated_at, updated_by)
    VALUES (${s.ref("tenant")}, ${s.param(rp.rpId, "text")}, ${s.param(rp.rpName, "text")}, ${s.param(JSON.stringify(rp.allowedOrigins), "jsonb")},
            ${s.param(JSON.stringify(rp.allowedAaguids), "jsonb")}, ${s.ref("now")}, ${s.param(updatedBy, "text")})
    ON CONFLICT (tenant_id) DO UPDATE SET
      rp_id = EXCLUDED.rp_id, rp_name = EXCLUDED.rp_name, allowed_origins = EXCLUDED.allowed_origins,
      allowed_aaguids = EXCLUDED.allowed_aaguids, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
    RETURNING tenant_id`;
}

/** Replaces the tenant's relying party with one upsert (tests and tools). */
export async function saveRelyingParty(q: Queryable, tenant: string, rp: RelyingParty, at: Date, updatedBy: string): Promise<void> {
  const s = new Statement();
  s.define("tenant", tenant, "text");
  s.define("now", at, "timestamptz");
  s.with("saved", saveRelyingPartyCte(s, rp, updatedBy));
  await s.run(q, "SELECT 1 FROM saved");
}
