import type { AppDeps } from "../../app.js";
import type { AppPasswordView } from "../app-passwords/app-password.js";
import { listAppPasswords } from "../app-passwords/list.js";
import { getBackupCodeStatus, type BackupCodeStatus } from "../backup-codes/status.js";
import { listFactors, type Factor } from "../factors/index.js";
import { selectThrottle, type ThrottleView } from "./throttle-state.js";
import { assertUserId } from "./user-id.js";

/** Everything about one user's second factors an administrator may see; no secret, code or password. */
export interface UserState {
  /** Active and pending factors (lapsed enrolments left out, as in ListFactors). */
  factors: Factor[];
  backupCodes: BackupCodeStatus;
  appPasswords: AppPasswordView[];
  throttle: ThrottleView;
}

/**
 * One user's state for support work ("why can't Alice log in?"). A user
 * twofold has never seen is not an error: user ids are the caller's, so the
 * answer is simply an empty state.
 */
export async function getUserState(deps: Pick<AppDeps, "db" | "clock">, tenant: string, userId: string): Promise<UserState> {
  assertUserId(userId);
  const [factors, backupCodes, appPasswords, throttle] = await Promise.all([
    listFactors(deps, tenant, userId),
    getBackupCodeStatus(deps, tenant, userId),
    listAppPasswords(deps, tenant, userId),
    selectThrottle(deps.db, tenant, userId, deps.clock.now()),
  ]);
  return { factors, backupCodes, appPasswords, throttle };
}
