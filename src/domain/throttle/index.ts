/** Per-user throttling across providers (docs/design.md "Throttling"). */
export { admitCte, admitJudgedCte, blockedAuditRow, blockedUntilSql, clearCte, resetCte, waitCte } from "./store.js";
export { admitAttempt, throttleRefusal, throttleState } from "./throttle.js";
export { FREE_FAILURES, waitAfterFailures } from "./rules.js";
