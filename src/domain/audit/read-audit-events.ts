import type { Queryable } from "../../store/db.js";
import type { AuditEvent } from "./audit-event.js";

interface AuditRow {
  id: number | string;
  tenant_id: string;
  user_id: string;
  kind: string;
  factor_id: string;
  at: Date;
  api_key_id: string;
  client_ip: string;
  details: Record<string, unknown> | null;
}

/**
 * A tenant's audit events, oldest first, optionally for one user. A plain
 * reader for tests and tools; the paged admin listing is ListAuditEvents.
 */
export async function readAuditEvents(
  q: Queryable,
  tenant: string,
  opts: { userId?: string; limit?: number } = {},
): Promise<AuditEvent[]> {
  const result = await q.query<AuditRow>(
    `SELECT id, tenant_id, user_id, kind, factor_id, at, api_key_id, client_ip, details
     FROM audit_events
     WHERE tenant_id = $1::text AND ($2::text IS NULL OR user_id = $2::text)
     ORDER BY id
     LIMIT $3::integer`,
    [tenant, opts.userId ?? null, opts.limit ?? 1000],
  );
  return result.rows.map((r) => ({
    id: Number(r.id),
    tenant: r.tenant_id,
    userId: r.user_id,
    kind: r.kind,
    factorId: r.factor_id,
    at: r.at,
    apiKeyId: r.api_key_id,
    clientIp: r.client_ip,
    details: r.details ?? {},
  }));
}
