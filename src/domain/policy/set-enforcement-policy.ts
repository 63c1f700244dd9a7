import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
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
    await recordAudit(deps, tx, meta, at, {
      userId: "",
      kind: "admin.enforcement_policy_set",
      details: {
        enforced: policy.enforced,
        include_groups: policy.includeGroups.length,
        exclude_groups: policy.excludeGroups.length,
      },
    });
  });
  return policy;
}
