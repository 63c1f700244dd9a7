import type { RequestMeta } from "../caller.js";
import type { Queryable } from "../../store/db.js";

/** One administrative state change, as recorded; details carry no secret. */
export interface AdminAuditEvent {
  /** Empty for tenant-wide changes (policy, relying party). */
  userId: string;
  kind: string;
  details: Record<string, string>;
}

/**
 * Records an administrative change with the admin key that made it and the
 * client ip the caller reported. Takes a Queryable so the record is written in
 * the same transaction as the change: either both happen or neither.
 */
export async function writeAdminAudit(q: Queryable, meta: RequestMeta, at: Date, event: AdminAuditEvent): Promise<void> {
  await q.query(
    `INSERT INTO audit_events (tenant_id, user_id, kind, at, api_key_id, client_ip, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
    [meta.caller.tenant, event.userId, event.kind, at, meta.caller.keyId, meta.clientIp, JSON.stringify(event.details)],
  );
}
