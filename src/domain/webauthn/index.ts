/**
 * WebAuthn factors (W3C WebAuthn Level 3) through @simplewebauthn/server: as
 * a second factor and for passwordless login, kept apart (one token, one
 * role), with signature counters as the clone check.
 */
export { enrolWebAuthn, type EnrolWebAuthnInput } from "./registration/enrol-webauthn.js";
export { confirmWebAuthnEnrolment, type ConfirmWebAuthnInput, type ConfirmWebAuthnResult } from "./registration/confirm-webauthn.js";
export { webauthnLoginProvider, verifyWebAuthnProof } from "./authentication/webauthn-login.js";
export { passwordlessChallenge, type PasswordlessChallengeResult } from "./authentication/passwordless-challenge.js";
export { verifyPasswordless } from "./authentication/passwordless-verify.js";
export { decideCounter, type CounterDecision } from "./authentication/decide-counter.js";
export { webauthnAmr } from "./authentication/check-assertion.js";
export { authenticatorName, ZERO_AAGUID } from "./helpers/known-authenticators.js";
