import type { Logger } from "pino";
import type { Queryable } from "../../store/db.js";
import type { RequestMeta } from "../caller.js";
import type { AuditEntry } from "./audit-event.js";

/**
 * Writes one audit row (DESIGN "Audit": tenant, user, kind, factor, time,
 * caller key, client ip) and the matching structured log line. Pass a
 * transaction's Queryable to make the row part of the change it records.
 * Callers put only non-secret facts in `details`: never a code or secret.
 */
export async function recordAudit(
  deps: { logger: Logger },
  q: Queryable,
  meta: RequestMeta,
  at: Date,
  entry: AuditEntry,
): Promise<void> {
  const details = entry.details ?? {};
  const factorId = entry.factorId ?? "";
  await q.query(
    `INSERT INTO audit_events (tenant_id, user_id, kind, factor_id, at, api_key_id, client_ip, details)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::text, $7::text, $8::jsonb)`,
    [meta.caller.tenant, entry.userId, entry.kind, factorId, at, meta.caller.keyId, meta.clientIp, JSON.stringify(details)],
  );
  deps.logger.info(
    {
      audit: entry.kind,
      tenant: meta.caller.tenant,
      userId: entry.userId,
      factorId,
      apiKeyId: meta.caller.keyId,
      clientIp: meta.clientIp,
      requestId: meta.requestId,
      details,
    },
    "audit",
  );
}
