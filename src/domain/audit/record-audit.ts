import type { Logger } from "pino";
import type { Queryable } from "../../store/db.js";
import type { RequestMeta } from "../caller.js";
import type { AuditEntry } from "./audit-event.js";
import { logAudit } from "./log.js";
import { insertAuditRow, type WrittenAuditRow } from "./store.js";

/**
 * Writes one audit row (tenant, user, kind, factor, time, caller key,
 * client ip) and its log line, for flows off the hot path. Pass a
 * transaction's Queryable to make the row part of the change it records;
 * hot-path flows compose auditInsertCte into their one statement instead.
 */
export async function recordAudit(deps: { logger: Logger }, q: Queryable, meta: RequestMeta, at: Date, entry: AuditEntry): Promise<void> {
  await insertAuditRow(q, meta, at, entry);
  logAudit(deps.logger, meta, entry);
}

/** The log lines of the rows a composed statement wrote (its `audits` column). */
export function logWrittenAudits(logger: Logger, meta: RequestMeta, rows: readonly WrittenAuditRow[] | null | undefined): void {
  for (const r of rows ?? []) logAudit(logger, meta, { kind: r.kind, userId: r.user_id, factorId: r.factor_id, details: r.details });
}
