import type { AppDeps } from "../../app.js";
import { writeAdminAudit } from "../admin/admin-audit.js";
import type { RequestMeta } from "../caller.js";
import type { EnforcementPolicy } from "./enforcement.js";
import { saveEnforcementPolicy } from "./policy-store.js";
import { parseEnforcementPolicy, type EnforcementPolicyInput } from "./validate-policy.js";

/**
 * Validates and stores the caller's tenant's policy, audited in the same
 * transaction. Returns the policy as stored (deduplicated), so the caller sees
 * exactly what will be enforced.
 */
export async function setEnforcementPolicy(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  input: EnforcementPolicyInput,
): Promise<EnforcementPolicy> {
  const policy = parseEnforcementPolicy(input);
  const at = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await saveEnforcementPolicy(tx, meta.caller.tenant, policy, at, meta.caller.keyId);
    await writeAdminAudit(tx, deps.logger, meta, at, {
      userId: "",
      kind: "admin.enforcement_policy_set",
      details: {
        enforced: String(policy.enforced),
        include_groups: String(policy.includeGroups.length),
        exclude_groups: String(policy.excludeGroups.length),
      },
    });
  });
  return policy;
}
