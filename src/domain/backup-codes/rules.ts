/**
 * The shape of backup codes (docs/design.md "Backup codes"): 10 by default, at
 * most 20, each 16 Crockford base32 symbols shown as 4 groups of 4.
 */
export const DEFAULT_BACKUP_CODE_COUNT = 10;
export const MAX_BACKUP_CODE_COUNT = 20;
export const BACKUP_CODE_SYMBOLS = 16;
export const BACKUP_CODE_GROUP = 4;
/** At or below this many unused codes a redemption audits `backup_codes.running_low`. */
export const BACKUP_CODES_LOW = 3;

/** The list length a request's `count` asks for (0 means the default), or undefined when out of range. */
export function resolveBackupCodeCount(count: number): number | undefined {
  if (count === 0) return DEFAULT_BACKUP_CODE_COUNT;
  if (Number.isInteger(count) && count >= 1 && count <= MAX_BACKUP_CODE_COUNT) return count;
  return undefined;
}

/** The pepper purpose that domain-separates backup code hashes from other keyed hashes. */
export const BACKUP_CODE_HASH_PURPOSE = "backup-code";
