import { invalidArgument, type FieldViolation } from "../errors.js";
import type { EnforcementPolicy } from "./enforcement.js";

/** Bounds that keep a policy row small and every group name printable. */
export const MAX_POLICY_GROUPS = 100;
export const MAX_GROUP_CHARS = 128;

/** A policy as a caller sends it, before validation. */
export interface EnforcementPolicyInput {
  enforced: boolean;
  includeGroups: readonly string[];
  excludeGroups: readonly string[];
}

/**
 * Checks one list of group names and returns it deduplicated (first
 * occurrence kept, so the stored order is the caller's). Every bad entry is
 * reported under its indexed path (`include_groups[3]`, as AIP-193 and the
 * other services' validators name list entries); a list too long under the
 * list's own name.
 */
function checkGroups(field: string, groups: readonly string[], violations: FieldViolation[]): string[] {
  if (groups.length > MAX_POLICY_GROUPS) {
    // Too many: one violation for the list, not one per entry of an arbitrarily long list.
    violations.push({ field, description: `at most ${MAX_POLICY_GROUPS} groups` });
    return [];
  }
  const seen = new Set<string>();
  groups.forEach((g, i) => {
    const chars = [...g].length;
    if (chars < 1 || chars > MAX_GROUP_CHARS) {
      violations.push({ field: `${field}[${i}]`, description: `must be 1-${MAX_GROUP_CHARS} characters` });
    } else if (/[\p{Cc}\uFFFD]/u.test(g)) {
      violations.push({ field: `${field}[${i}]`, description: "must not contain control characters or U+FFFD" });
    }
    seen.add(g);
  });
  return [...seen];
}

/**
 * Validates a policy and returns it normalised (lists deduplicated). A group in
 * both lists is allowed: inclusion wins (see isEnforced), which is what the
 * operator asked for by including it.
 */
export function parseEnforcementPolicy(input: EnforcementPolicyInput): EnforcementPolicy {
  const violations: FieldViolation[] = [];
  const includeGroups = checkGroups("include_groups", input.includeGroups, violations);
  const excludeGroups = checkGroups("exclude_groups", input.excludeGroups, violations);
  if (violations.length > 0) throw invalidArgument(violations);
  return { enforced: input.enforced, includeGroups, excludeGroups };
}
