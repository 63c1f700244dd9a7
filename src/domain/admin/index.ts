/** Administration of one tenant's users: state, resets, throttles, audit. */
export { clearThrottle } from "./clear-throttle.js";
export { getUserState, type UserState } from "./get-user-state.js";
export {
  DEFAULT_AUDIT_PAGE_SIZE,
  MAX_AUDIT_PAGE_SIZE,
  listAuditEvents,
  type AuditEventPage,
  type AuditEventRecord,
  type ListAuditEventsInput,
} from "./list-audit-events.js";
export { resetSecondFactor, type ResetResult, type ResetScopeName } from "./reset-second-factor.js";
export { MAX_PAGE_TOKEN_CHARS } from "./audit-page-token.js";
export type { ThrottleView } from "./throttle-state.js";
