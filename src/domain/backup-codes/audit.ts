import type { Logger } from "pino";
import type { RequestMeta } from "../caller.js";
import type { Queryable } from "../../store/db.js";

/**
 * A minimal audit writer for backup codes and app passwords, used until the
 * shared audit module is wired in. It writes the same row shape as
 * 001_foundation.sql (tenant, user, kind, factor, time, caller key, client ip)
 * and one structured log line. Callers pass only non-secret details.
 */
export interface AuditEntry {
  userId: string;
  kind: string;
  /** The factor or app password the event is about, else empty. */
  factorId?: string;
  details?: Record<string, string | number | boolean>;
}

export async function writeAudit(
  deps: { db: Queryable; logger: Logger },
  meta: RequestMeta,
  at: Date,
  entry: AuditEntry,
): Promise<void> {
  const details = entry.details ?? {};
  await deps.db.query(
    `INSERT INTO audit_events (tenant_id, user_id, kind, factor_id, at, api_key_id, client_ip, details)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::text, $7::text, $8::jsonb)`,
    [meta.caller.tenant, entry.userId, entry.kind, entry.factorId ?? "", at, meta.caller.keyId, meta.clientIp, JSON.stringify(details)],
  );
  deps.logger.info(
    {
      audit: entry.kind,
      tenant: meta.caller.tenant,
      userId: entry.userId,
      factorId: entry.factorId ?? "",
      apiKeyId: meta.caller.keyId,
      clientIp: meta.clientIp,
      requestId: meta.requestId,
      ...details,
    },
    "audit",
  );
}
