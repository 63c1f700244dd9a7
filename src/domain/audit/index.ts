/** The audit trail: one row and one log line per state change or verification outcome. */
export type { AuditDetails, AuditEntry, AuditEvent, AuditKind } from "./audit-event.js";
export { logWrittenAudits, recordAudit } from "./record-audit.js";
export {
  auditInsertCte,
  /** A tenant's audit events, oldest first (tests and tools). */
  selectAuditEvents as readAuditEvents,
  selectAuditPage,
  writtenAuditRows,
  type AuditPageCursor,
  type AuditRowPart,
  type WrittenAuditRow,
} from "./store.js";

