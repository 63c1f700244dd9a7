import type { Queryable } from "../../store/db.js";
import { defaultEnforcementPolicy, type EnforcementPolicy } from "./enforcement.js";

interface PolicyRow {
  enforced: boolean;
  include_groups: string[];
  exclude_groups: string[];
}

/** The tenant's stored policy, or the default (nobody enforced) when it never set one. */
export async function loadEnforcementPolicy(q: Queryable, tenant: string): Promise<EnforcementPolicy> {
  const r = await q.query<PolicyRow>(
    `SELECT enforced, include_groups, exclude_groups FROM enforcement_policies WHERE tenant_id = $1`,
    [tenant],
  );
  const row = r.rows[0];
  if (row === undefined) return { ...defaultEnforcementPolicy, includeGroups: [], excludeGroups: [] };
  return { enforced: row.enforced, includeGroups: row.include_groups, excludeGroups: row.exclude_groups };
}

/** Replaces the tenant's policy (one upsert, so concurrent setters cannot interleave half a policy). */
export async function saveEnforcementPolicy(
  q: Queryable,
  tenant: string,
  policy: EnforcementPolicy,
  at: Date,
  updatedBy: string,
): Promise<void> {
  await q.query(
    `INSERT INTO enforcement_policies (tenant_id, enforced, include_groups, exclude_groups, updated_at, updated_by)
     VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6)
     ON CONFLICT (tenant_id) DO UPDATE SET
       enforced = EXCLUDED.enforced, include_groups = EXCLUDED.include_groups,
       exclude_groups = EXCLUDED.exclude_groups, updated_at = EXCLUDED.updated_at,
       updated_by = EXCLUDED.updated_by`,
    [tenant, policy.enforced, JSON.stringify(policy.includeGroups), JSON.stringify(policy.excludeGroups), at, updatedBy],
  );
}
