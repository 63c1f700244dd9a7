/**
 * A tenant's rule for who must use a second factor. Plain data, no protobuf:
 * the login flow and the admin API both speak it.
 */
export interface EnforcementPolicy {
  /** Enforce for every user of the tenant (members of exclude groups exempted, see isEnforced). */
  enforced: boolean;
  includeGroups: string[];
  excludeGroups: string[];
}

/** What a tenant that never set a policy gets: nobody is forced to enrol. */
export const defaultEnforcementPolicy: EnforcementPolicy = Object.freeze({
  enforced: false,
  includeGroups: [],
  excludeGroups: [],
}) as EnforcementPolicy;

/**
 * Whether 2FA is enforced for a user in `userGroups`, with Nextcloud's
 * enforcement semantics (the manual this project starts from):
 *
 * 1. A user in at least one include group is enforced, whatever else holds:
 *    "a user in both an included and an excluded group is enforced".
 * 2. Otherwise, a user in at least one exclude group is exempt, even when
 *    `enforced` is on: exclusion is how an operator carves out a service
 *    account or a break-glass group from an enforced-for-all tenant.
 * 3. Otherwise (in neither), the user is enforced iff `enforced` is on.
 *
 * | groups        | enforced off | enforced on |
 * |---------------|--------------|-------------|
 * | in neither    | no           | yes         |
 * | include only  | yes          | yes         |
 * | exclude only  | no           | no          |
 * | both          | yes          | yes         |
 *
 * Group names compare exactly (case-sensitive): they are the caller's opaque strings.
 */
export function isEnforced(policy: EnforcementPolicy, userGroups: readonly string[]): boolean {
  const groups = new Set(userGroups);
  // Inclusion wins over exclusion.
  if (policy.includeGroups.some((g) => groups.has(g))) return true;
  // Exclusion exempts only users no include group names.
  if (policy.excludeGroups.some((g) => groups.has(g))) return false;
  return policy.enforced;
}
