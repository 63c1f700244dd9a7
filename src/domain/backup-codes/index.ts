/** Backup codes: one-time codes for a user who lost their factor, redeemed through Verify. */
export { CROCKFORD_ALPHABET, groupSymbols, normaliseCrockford, randomCrockford } from "./crockford.js";
export { generateBackupCodes, type GeneratedBackupCodes } from "./generate.js";
export {
  resolveBackupCodeCount,
} from "./rules.js";
export { getBackupCodeStatus, type BackupCodeStatus } from "./status.js";
export { deleteListCtes, remainingCodesSql, runListStatement, withListCtes } from "./store.js";
export { backupCodeLoginProvider } from "./verify.js";
