import { clonedKeyRefused } from "./cloned-key-refused.js";
import { drift70sLate } from "./drift-70s-late.js";
import { fidoU2fLogin } from "./fido-u2f-login.js";
import { hardwareKeysOnly } from "./hardware-keys-only.js";
import { hotpDesyncResync } from "./hotp-desync-resync.js";
import { lostTokenBackupCode } from "./lost-token-backup-code.js";
import { mailClientAppPassword } from "./mail-client-app-password.js";
import { nitrokeyFido2Login } from "./nitrokey-fido2-login.js";
import { nitrokeyProTotpLogin } from "./nitrokey-pro-totp-login.js";
import { passwordlessAfter2faRefused } from "./passwordless-after-2fa-refused.js";
import { pinProtectedOtpSlot } from "./pin-protected-otp-slot.js";
import { replayedCodeRefused } from "./replayed-code-refused.js";
import type { Scenario } from "./types.js";

/** Every scenario, in the order a default run plays them (the slow drift scenario last). */
export const SCENARIOS: readonly Scenario[] = [
  nitrokeyProTotpLogin,
  replayedCodeRefused,
  pinProtectedOtpSlot,
  lostTokenBackupCode,
  mailClientAppPassword,
  hotpDesyncResync,
  nitrokeyFido2Login,
  fidoU2fLogin,
  clonedKeyRefused,
  passwordlessAfter2faRefused,
  hardwareKeysOnly,
  drift70sLate,
];
