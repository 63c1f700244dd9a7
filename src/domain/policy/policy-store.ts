import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";
import { defaultEnforcementPolicy, type EnforcementPolicy } from "./enforcement.js";

/** An enforcement_policies row as a statement returns it. */
export interface EnforcementPolicyRow {
  enforced: boolean;
  include_groups: string[];
  exclude_groups: string[];
}

/** The tenant's stored policy, or the default (nobody enforced) when it never set one. */
export async function loadEnforcementPolicy(q: Queryable, tenant: string): Promise<EnforcementPolicy> {
  const r = await q.query<EnforcementPolicyRow>(
    `SELECT enforced, include_groups, exclude_groups FROM enforcement_policies WHERE tenant_id = $1`,
    [tenant],
  );
  return policyFromJson(r.rows[0]);
}

/** Scalar SQL: the tenant's policy row as JSON (null when it never set one), for a composed statement. */
export function enforcementPolicyJsonSql(s: Statement): string {
  return `(SELECT row_to_json(p) FROM (SELECT enforced, include_groups, exclude_groups
            FROM enforcement_policies WHERE tenant_id = ${s.ref("tenant")}) p)`;
}

/** The policy from its row, or the default (nobody enforced) when the tenant never set one. */
export function policyFromJson(row: EnforcementPolicyRow | null | undefined): EnforcementPolicy {
  if (row === null || row === undefined) return { ...defaultEnforcementPolicy, includeGroups: [], excludeGroups: [] };
  return { enforced: row.enforced, includeGroups: row.include_groups, excludeGroups: row.exclude_groups };
}

/** A CTE body replacing the tenant's policy: one upsert, so concurrent setters cannot interleave half a policy. */
export function savePolicyCte(s: Statement, policy: EnforcementPolicy, updatedBy: string): string {
  return `INSERT INTO enforcement_policies (tenant_id, enforced, include_groups, exclude_groups, updated_at, updated_by)
    VALUES (${s.ref("tenant")}, ${s.param(policy.enforced, "boolean")}, ${s.param(JSON.stringify(policy.includeGroups), "jsonb")},
            ${s.param(JSON.stringify(policy.excludeGroups), "jsonb")}, ${s.ref("now")}, ${s.param(updatedBy, "text")})
    ON CONFLICT (tenant_id) DO UPDATE SET
      enforced = EXCLUDED.enforced, include_groups = EXCLUDED.include_groups,
      exclude_groups = EXCLUDED.exclude_groups, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
    RETURNING tenant_id`;
}
