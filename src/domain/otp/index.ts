/**
 * OTP factors, TOTP (RFC 6238) and HOTP (RFC 4226) alike: one spec, one
 * enrolment, one confirmation, one login provider, one resync, one store,
 * and a small per-kind table (kinds.ts) for what truly differs.
 */
export { CONFIRM_WINDOW, confirmOtpEnrolment, type ConfirmOtpInput, type ConfirmOtpResult } from "./confirm.js";
export { enrolOtp, type EnrolOtpInput } from "./enrol.js";
export type { OtpEnrolment } from "./enrolment.js";
export { checkOtpFactor, decideHotp, decideTotp, otpAmr, type OtpDecision, type OtpReplayState } from "./kinds.js";
export { importPskc, MAX_PSKC_BYTES, parsePskc, PskcError, PSKC_PENDING_TTL_MS, type ImportedToken } from "./pskc/index.js";
export { findResyncPair, resyncFactor, totpResyncRange, type ResyncFactorInput, type ResyncFactorResult } from "./resync.js";
export {
  GENERATED_SECRET_BYTES,
  isNitrokeyProfile,
  MAX_HOTP_COUNTER,
  MAX_IMPORTED_SECRET_BYTES,
  MIN_IMPORTED_SECRET_BYTES,
  NITROKEY_MAX_SECRET_BYTES,
  resolveOtpSpec,
  type OtpSpec,
  type OtpSpecInput,
} from "./spec.js";
export { otpLoginProvider } from "./verify.js";
