/** Backup codes: one-time codes for a user who lost their factor, redeemed through Verify. */
export { CROCKFORD_ALPHABET, groupSymbols, normaliseCrockford, randomCrockford } from "./crockford.js";
export { generateBackupCodes, type GeneratedBackupCodes } from "./generate.js";
export {
  BACKUP_CODE_GROUP,
  BACKUP_CODE_HASH_PURPOSE,
  BACKUP_CODE_SYMBOLS,
  BACKUP_CODES_LOW,
  DEFAULT_BACKUP_CODE_COUNT,
  MAX_BACKUP_CODE_COUNT,
  resolveBackupCodeCount,
} from "./rules.js";
export { getBackupCodeStatus, type BackupCodeStatus } from "./status.js";
export { deleteListCtes, remainingCodesSql } from "./store.js";
export { backupCodeLoginProvider } from "./verify.js";
