/**
 * A tenant's policies: who must use a second factor (the enforcement
 * policy), and which kinds of second factor it offers with their limits
 * (the provider policy).
 */
export { isEnforced, type EnforcementPolicy } from "./enforcement.js";
export { enforcementPolicyJsonSql, loadEnforcementPolicy, policyFromJson, type EnforcementPolicyRow } from "./policy-store.js";
export { setEnforcementPolicy } from "./set-enforcement-policy.js";
export {
  MAX_GROUP_CHARS,
  MAX_POLICY_GROUPS,
  parseEnforcementPolicy,
  type EnforcementPolicyInput,
} from "./validate-policy.js";
export { kindEnabled, POLICY_KINDS, type PolicyKind, type ProviderPolicy, type TotpLimits } from "./provider-policy.js";
export {
  appPasswordMaxLifetimeSql,
  kindDisabledSql,
  kindOfferedSql,
  loadProviderPolicy,
  policyAllowsSql,
  policyGateCte,
  providerPolicyCte,
  providerPolicyFromJson,
  providerPolicyJsonFromCte,
  providerPolicyJsonSql,
  providerPolicyVersionFromCte,
  providerPolicyVersionSql,
  type PolicyRefusal,
  type ProviderPolicyRow,
} from "./provider-policy-store.js";
export { setProviderPolicy } from "./set-provider-policy.js";
export { parseProviderPolicy, policyRefusalError, type ProviderPolicyInput } from "./validate-provider-policy.js";
