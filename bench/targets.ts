/**
 * Everything the benchmark takes from `src/`, in one place. The service's
 * internals move (the login path is being redesigned); when a file moves,
 * this is the only file of `bench/` to fix. The load generator deliberately
 * takes nothing from here but the server stack for its transport ceiling:
 * it talks to the service through the public RPC API only.
 */

// The verification core (RFC 4226 / RFC 6238 arithmetic with constant work).
export {
  coreCounters,
  DUMMY_TOTP_KEY,
  HOTP_LOOK_AHEAD,
  HOTP_LOOK_BEHIND,
  HOTP_RESYNC_RANGE,
  HOTP_STEPS_PER_VERIFY,
  hotpCode,
  RESYNC_RANGE,
  TOTP_STEPS_PER_VERIFY,
  totpCode,
  verifyHotpWindow,
  verifyTotpWindow,
  type HotpWindowInput,
  type OtpAlgorithm,
  type OtpDigits,
  type TotpKey,
  type TotpWindowInput,
  type TotpWindowResult,
} from "../src/core/index.js";

// WebAuthn: the service's assertion check (its own rules around @simplewebauthn/server), no database.
export { verifyAssertion } from "../src/domain/webauthn/authentication/verify-assertion.js";

// Backup codes and app passwords: normalise, then HMAC-SHA256 under the pepper.
export { createKeyring } from "../src/crypto/keyring-aes.js";
export { normaliseCrockford } from "../src/domain/backup-codes/crockford.js";
export { BACKUP_CODE_HASH_PURPOSE, BACKUP_CODE_SYMBOLS } from "../src/domain/backup-codes/rules.js";
export { APP_PASSWORD_HASH_PURPOSE, APP_PASSWORD_SYMBOLS } from "../src/domain/app-passwords/rules.js";

// The server stack, for the trivial-handler servers (transport ceiling, transport benchmark).
export type { Caller } from "../src/domain/caller.js";
export { createLogger } from "../src/log.js";
export { registration } from "../src/rpc/registration.js";
export { startServer } from "../src/server/server.js";
