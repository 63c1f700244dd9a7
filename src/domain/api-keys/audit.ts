import type { Queryable } from "../../store/db.js";
import type { Role } from "../caller.js";

/** API key events; tenant-wide (no user), so they show in a tenant's audit listing. */
export type ApiKeyAuditKind = "api_key.created" | "api_key.revoked";

/**
 * Records an API key change in the audit table, in the caller's transaction.
 * The key id and role only: never the key or its hash.
 */
export async function auditApiKey(
  q: Queryable,
  kind: ApiKeyAuditKind,
  tenant: string,
  keyId: string,
  at: Date,
  details: { role?: Role; name?: string },
): Promise<void> {
  await q.query(
    `INSERT INTO audit_events (tenant_id, user_id, kind, at, api_key_id, details)
     VALUES ($1::text, '', $2::text, $3::timestamptz, $4::text, $5::jsonb)`,
    [tenant, kind, at, keyId, JSON.stringify(details)],
  );
}
