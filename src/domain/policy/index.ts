/** Who must use a second factor: the tenant's enforcement policy and its decision. */
export { isEnforced, type EnforcementPolicy } from "./enforcement.js";
export { enforcementPolicyJsonSql, loadEnforcementPolicy, policyFromJson, type EnforcementPolicyRow } from "./policy-store.js";
export { setEnforcementPolicy } from "./set-enforcement-policy.js";
export {
  MAX_GROUP_CHARS,
  MAX_POLICY_GROUPS,
  parseEnforcementPolicy,
  type EnforcementPolicyInput,
} from "./validate-policy.js";
