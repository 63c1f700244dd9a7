/**
 * WebAuthn factors (W3C WebAuthn Level 3) through @simplewebauthn/server: as
 * a second factor and for passwordless login, kept apart (one token, one
 * role), with signature counters as the clone check.
 */
export { passwordlessRequestOptions } from "./authentication/request-options.js";
export { confirmWebAuthnEnrolment, type ConfirmWebAuthnInput, type ConfirmWebAuthnResult } from "./confirm.js";
export { enrolWebAuthn, type EnrolWebAuthnInput } from "./enrol.js";
export { CHALLENGE_BYTES as WEBAUTHN_CHALLENGE_BYTES, type WebAuthnRole } from "./helpers/ceremony-policy.js";
export { decideCounter, type CounterDecision } from "./helpers/decide-counter.js";
export { userHandleSql } from "./store.js";
export { webauthnAmr, webauthnLoginProvider } from "./verify.js";

