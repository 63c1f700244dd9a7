import type { AppDeps } from "../../app.js";
import { isLive, listAppPasswords, type AppPasswordView } from "../app-passwords/index.js";
import { getBackupCodeStatus, type BackupCodeStatus } from "../backup-codes/index.js";
import { listFactors, type Factor } from "../factors/index.js";
import { throttleView, type ThrottleView } from "./throttle-state.js";

/** Everything about one user's second factors an administrator may see; no secret, code or password. */
export interface UserState {
  /** Active and pending factors (lapsed enrolments left out, as in ListFactors). */
  factors: Factor[];
  backupCodes: BackupCodeStatus;
  /**
   * The app passwords that still work (not revoked, not expired), at most
   * MAX_LIVE_APP_PASSWORDS. Revoked history grows without bound and would
   * eventually outgrow the largest message; ListAppPasswords pages it.
   */
  appPasswords: AppPasswordView[];
  throttle: ThrottleView;
}

/**
 * One user's state for support work ("why can't Alice log in?"). A user
 * twofold has never seen is not an error: user ids are the caller's, so the
 * answer is simply an empty state.
 */
export async function getUserState(deps: Pick<AppDeps, "db" | "clock">, tenant: string, userId: string): Promise<UserState> {
  const now = deps.clock.now();
  const [factors, backupCodes, appPasswords, throttle] = await Promise.all([
    listFactors(deps, tenant, userId),
    getBackupCodeStatus(deps, tenant, userId),
    listAppPasswords(deps, tenant, userId),
    throttleView(deps.db, tenant, userId, now),
  ]);
  return { factors, backupCodes, appPasswords: appPasswords.filter((p) => isLive(p, now)), throttle };
}
