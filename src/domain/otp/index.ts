/**
 * OTP factors, TOTP (RFC 6238) and HOTP (RFC 4226) alike: one spec, one
 * enrolment, one confirmation, one login provider, one resync, one store,
 * and a small per-kind table (kinds.ts) for what truly differs.
 */
export { confirmOtpEnrolment, type ConfirmOtpInput, type ConfirmOtpResult } from "./confirm.js";
export { enrolOtp, type EnrolOtpInput } from "./enrol.js";
export type { OtpEnrolment } from "./enrolment.js";
export { decideTotp, type OtpDecision, type OtpReplayState } from "./kinds.js";
export { importPskc, MAX_PSKC_BYTES, type ImportedToken } from "./pskc/index.js";
export { resyncFactor, type ResyncFactorInput, type ResyncFactorResult } from "./resync.js";
export {
  resolveOtpSpec,
  type OtpSpec,
  type OtpSpecInput,
} from "./spec.js";
export { otpRowVersions, otpRowVersionsSql, otpVerifyBasisSql } from "./store.js";
export { otpLoginProvider } from "./verify.js";
