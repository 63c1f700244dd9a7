import type { Logger } from "pino";
import { builtLine } from "../../log.js";
import type { RequestMeta } from "../caller.js";
import type { AuditEntry } from "./audit-event.js";

/**
 * The structured log line of an audit event (docs/design.md "Audit"): one per row written, after the statement that
 * wrote it, so the log never shows an event that did not commit.
 */
export function logAudit(logger: Logger, meta: RequestMeta, entry: AuditEntry): void {
  builtLine(
    logger,
    {
      audit: entry.kind,
      tenant: meta.caller.tenant,
      userId: entry.userId,
      factorId: entry.factorId ?? "",
      apiKeyId: meta.caller.keyId,
      clientIp: meta.clientIp,
      requestId: meta.requestId,
      details: entry.details ?? {},
    },
    "audit",
  );
}
