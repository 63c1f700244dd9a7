import type { AppDeps } from "../../app.js";
import { isEnforced } from "./enforcement.js";
import { loadEnforcementPolicy } from "./policy-store.js";

/**
 * For the login flow's Challenge: true when the tenant's policy enforces 2FA
 * for a user in `userGroups` and the user has no active second factor yet, so
 * the platform must send the user to enrol before letting them in.
 * A user who already has a factor is challenged instead; no policy load then.
 */
export async function enrolmentRequired(
  deps: Pick<AppDeps, "db">,
  tenant: string,
  userGroups: readonly string[],
  hasActiveSecondFactor: boolean,
): Promise<boolean> {
  if (hasActiveSecondFactor) return false;
  const policy = await loadEnforcementPolicy(deps.db, tenant);
  return isEnforced(policy, userGroups);
}
