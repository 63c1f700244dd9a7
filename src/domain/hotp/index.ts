/** HOTP factors (RFC 4226): enrolment, confirmation and the checks the login provider runs. */
export { checkHotpFactor } from "./check-hotp-factor.js";
export { confirmHotpEnrolment } from "./confirm-hotp.js";
export { decideHotp, type HotpDecision } from "./decide-hotp.js";
export { enrolHotp, type EnrolHotpInput } from "./enrol-hotp.js";
export { hotpLoginProvider, spendHotpWork, verifyHotpProof } from "./hotp-login.js";
export { isNitrokeyProfile, MAX_HOTP_COUNTER, resolveHotpSpec, type HotpSpec, type HotpSpecInput } from "./hotp-spec.js";
export { insertOtpFactorAt, type NewOtpFactorAt } from "./hotp-store.js";
export { confirmOtpEnrolment, verifyOtpProof } from "./otp-dispatch.js";
