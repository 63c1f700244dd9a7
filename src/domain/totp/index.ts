/** TOTP factors (RFC 6238): enrolment, confirmation and the checks the login provider runs. */
export { checkDummyTotp, checkTotpFactor } from "./check-totp-factor.js";
export { CONFIRM_WINDOW, confirmTotpEnrolment, type ConfirmTotpInput, type ConfirmTotpResult } from "./confirm-totp.js";
export { decideTotp, type OtpReplayState, type TotpDecision } from "./decide-totp.js";
export { enrolTotp, type EnrolTotpInput } from "./enrol-totp.js";
export type { OtpEnrolment } from "../otp/otp-enrolment.js";
export {
  GENERATED_SECRET_BYTES,
  MAX_IMPORTED_SECRET_BYTES,
  MIN_IMPORTED_SECRET_BYTES,
  NITROKEY_MAX_SECRET_BYTES,
  resolveTotpSpec,
  type TotpSpec,
  type TotpSpecInput,
} from "./totp-spec.js";
export { totpAmr, totpLoginProvider, verifyTotpProof } from "./totp-login.js";
