/** Per-user throttling across providers (DESIGN "Login flow"). */
export { admitOrAudit } from "./admit-or-audit.js";
export { admitAttempt, throttleState, throttleSuccess } from "./throttle.js";
export { FREE_FAILURES, MAX_WAIT_MS, waitAfterFailures } from "./rules.js";
