import type { Queryable } from "../../store/db.js";
import { countUnused, selectStatus, type ListStatus } from "./store.js";

export type BackupCodeStatus = ListStatus;

/** The user's list: its length, unused codes and when it was made (zeros and undefined when none). */
export async function getBackupCodeStatus(deps: { db: Queryable }, tenant: string, userId: string): Promise<BackupCodeStatus> {
  return selectStatus(deps.db, tenant, userId);
}

/**
 * Unused backup codes of a user, for Challenge's provider list and
 * AuthContext. Backup codes never make 2FA required by themselves: the login
 * flow decides `second_factor_required` from real factors and merely offers
 * PROVIDER_BACKUP_CODE when this is above zero.
 */
export async function countRemaining(deps: { db: Queryable }, tenant: string, userId: string): Promise<number> {
  return countUnused(deps.db, tenant, userId);
}
