/** The audit trail: one row and one log line per state change or verification outcome. */
export type { AuditDetails, AuditEntry, AuditEvent, AuditKind } from "./audit-event.js";
export { readAuditEvents } from "./read-audit-events.js";
export { recordAudit } from "./record-audit.js";
