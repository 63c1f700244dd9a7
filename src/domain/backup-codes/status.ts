import type { Queryable } from "../../store/db.js";
import { selectStatus, type ListStatus } from "./store.js";

export type BackupCodeStatus = ListStatus;

/** The user's list: its length, unused codes and when it was made (zeros and undefined when none). */
export async function getBackupCodeStatus(deps: { db: Queryable }, tenant: string, userId: string): Promise<BackupCodeStatus> {
  return selectStatus(deps.db, tenant, userId);
}
