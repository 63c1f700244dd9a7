/**
 * The verification core: RFC 4226 / RFC 6238 arithmetic, HMAC-SHA-1 on
 * precomputed pad blocks (hmac-sha1.ts) and the other HMACs on node:crypto,
 * with constant work per verification. The service and the
 * benchmark import it from here.
 */
export { coreCounters, hotpCode, type OtpAlgorithm, type OtpDigits } from "./hotp.js";
export { totpCode, totpStep, type TotpPeriod } from "./totp.js";
export {
  DUMMY_TOTP_KEY,
  RESYNC_RANGE,
  TOTP_STEPS_PER_VERIFY,
  verifyTotpWindow,
  type TotpKey,
  type TotpWindowInput,
  type TotpWindowResult,
} from "./verify-totp-window.js";
export {
  DUMMY_HOTP_KEY,
  findConsecutivePair,
  HOTP_LOOK_AHEAD,
  HOTP_LOOK_BEHIND,
  HOTP_RESYNC_RANGE,
  HOTP_STEPS_PER_VERIFY,
  verifyHotpWindow,
  type ConsecutivePairInput,
  type HotpKey,
  type HotpWindowInput,
  type HotpWindowResult,
} from "./verify-hotp-window.js";
