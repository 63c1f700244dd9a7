import type { Logger } from "pino";
import type { RequestMeta } from "../caller.js";
import type { Queryable } from "../../store/db.js";

/** One administrative state change, as recorded; details carry no secret. */
export interface AdminAuditEvent {
  /** Empty for tenant-wide changes (policy, relying party). */
  userId: string;
  kind: string;
  /** The factor the event is about, if any. */
  factorId?: string;
  details: Record<string, string>;
}

/**
 * Records an administrative change with the admin key that made it and the
 * client ip the caller reported. Takes a Queryable so the record is written in
 * the same transaction as the change: either both happen or neither. Also one
 * structured log line (DESIGN "Audit"), with the same non-secret fields.
 */
export async function writeAdminAudit(
  q: Queryable,
  logger: Logger,
  meta: RequestMeta,
  at: Date,
  event: AdminAuditEvent,
): Promise<void> {
  await q.query(
    `INSERT INTO audit_events (tenant_id, user_id, kind, factor_id, at, api_key_id, client_ip, details)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::text, $7::text, $8::jsonb)`,
    [
      meta.caller.tenant,
      event.userId,
      event.kind,
      event.factorId ?? "",
      at,
      meta.caller.keyId,
      meta.clientIp,
      JSON.stringify(event.details),
    ],
  );
  logger.info(
    {
      audit: event.kind,
      tenant: meta.caller.tenant,
      userId: event.userId,
      factorId: event.factorId ?? "",
      apiKeyId: meta.caller.keyId,
      clientIp: meta.clientIp,
      requestId: meta.requestId,
      details: event.details,
    },
    "audit",
  );
}
