import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";
import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";
import { defaultProviderPolicy, POLICY_KINDS, type PolicyKind, type ProviderPolicy } from "./provider-policy.js";

/**
 * The provider_policies table's SQL (060): the parts the login and
 * enrolment statements compose to read the policy in the statement they
 * already run (docs/design.md "Database round trips"), its upsert, and the
 * admin read.
 */

/** A provider_policies row as a statement returns it (row_to_json). */
export interface ProviderPolicyRow {
  disabled_kinds: string[];
  totp_algorithms: string[] | null;
  totp_digits: number[] | null;
  totp_hardware_only: boolean;
  app_password_max_lifetime_ms: number | null;
}

const COLUMNS = "disabled_kinds, totp_algorithms, totp_digits, totp_hardware_only, app_password_max_lifetime_ms";

/** Scalar SQL: the tenant's policy row as JSON (null when it never set one), for a composed statement. */
export function providerPolicyJsonSql(s: Statement): string {
  return `(SELECT row_to_json(pp) FROM (${providerPolicyCte(s)}) pp)`;
}

/**
 * Scalar SQL: the version (xmin) of the tenant's policy row as the
 * statement's snapshot sees it, '' when it never set one: a statement that
 * relies on a policy read earlier checks that it is still the same.
 */
export function providerPolicyVersionSql(s: Statement): string {
  return `COALESCE((SELECT xmin::text FROM provider_policies WHERE tenant_id = ${s.ref("tenant")}), '')`;
}

/**
 * A CTE body of the tenant's policy row (none when it never set one), for a
 * statement that reads the policy in several parts: read each with
 * providerPolicyJsonFromCte and kindOfferedSql, so the row is looked up once.
 * With `version`, it also carries the row's version for
 * providerPolicyVersionFromCte.
 */
export function providerPolicyCte(s: Statement, opts: { version?: boolean } = {}): string {
  const version = opts.version === true ? ", xmin::text AS version" : "";
  return `SELECT ${COLUMNS}${version} FROM provider_policies WHERE tenant_id = ${s.ref("tenant")}`;
}

/** providerPolicyVersionSql over a providerPolicyCte named `cte` that carries its version. */
export function providerPolicyVersionFromCte(cte: string): string {
  return `COALESCE((SELECT version FROM ${cte}), '')`;
}

/** providerPolicyJsonSql over a providerPolicyCte named `cte`. */
export function providerPolicyJsonFromCte(cte: string): string {
  return `(SELECT row_to_json(pp) FROM ${cte} pp)`;
}

/** SQL boolean: the policy in the providerPolicyCte named `cte` offers the kind `kindSql` names (true without a policy). */
export function kindOfferedSql(cte: string, kindSql: string): string {
  return `NOT COALESCE((SELECT ${kindSql} = ANY (disabled_kinds) FROM ${cte}), false)`;
}

/** The policy from its row, or the default (everything enabled, no limits) when the tenant never set one. */
export function providerPolicyFromJson(row: ProviderPolicyRow | null | undefined): ProviderPolicy {
  if (row === null || row === undefined) return defaultProviderPolicy();
  const disabled = new Set(row.disabled_kinds);
  return {
    disabledKinds: POLICY_KINDS.filter((k) => disabled.has(k)),
    totp:
      row.totp_algorithms === null || row.totp_digits === null
        ? undefined
        : {
            algorithms: row.totp_algorithms as OtpAlgorithm[],
            digits: row.totp_digits as OtpDigits[],
            hardwareOnly: row.totp_hardware_only,
          },
    appPasswordMaxLifetimeMs: row.app_password_max_lifetime_ms === null ? undefined : Number(row.app_password_max_lifetime_ms),
  };
}

/** The tenant's stored policy, or the default. */
export async function loadProviderPolicy(q: Queryable, tenant: string): Promise<ProviderPolicy> {
  const r = await q.query<ProviderPolicyRow>(`SELECT ${COLUMNS} FROM provider_policies WHERE tenant_id = $1::text`, [tenant]);
  return providerPolicyFromJson(r.rows[0]);
}

/**
 * SQL boolean: the tenant's policy has turned off the kind `kindSql` names
 * (a factors.kind column, say). `tenantSql` is the tenant's placeholder.
 */
export function kindDisabledSql(tenantSql: string, kindSql: string): string {
  return `COALESCE((SELECT ${kindSql} = ANY (pp.disabled_kinds) FROM provider_policies pp WHERE pp.tenant_id = ${tenantSql}), false)`;
}

/**
 * Why the policy refuses a new factor or app password: `disabled`, or the
 * limit it breaks (`algorithm`, `digits`, `token_profile`, `ttl`).
 */
export type PolicyRefusal = "disabled" | "algorithm" | "digits" | "token_profile" | "ttl";

/** What is being created, as the policy judges it. */
export type PolicyRequest =
  | { kind: "totp"; algorithm: OtpAlgorithm; digits: OtpDigits; tokenProfile: string }
  | { kind: Exclude<PolicyKind, "totp" | "app_passwords"> }
  | { kind: "app_passwords"; ttlMs: number | undefined };

/**
 * A CTE body of one row: `refusal`, the PolicyRefusal of `request` under the
 * tenant's policy, NULL when the policy allows it (or the tenant has none).
 * The creating statement inserts only while it is NULL (policyAllowsSql), so
 * the check and the insert see one snapshot of the policy.
 */
export function policyGateCte(s: Statement, request: PolicyRequest): string {
  const kind = s.param(request.kind, "text");
  const branches = [`WHEN ${kind} = ANY (p.disabled_kinds) THEN 'disabled'`];
  if (request.kind === "totp") {
    const algorithm = s.param(request.algorithm, "text");
    const digits = s.param(request.digits, "integer");
    branches.push(
      `WHEN p.totp_algorithms IS NOT NULL AND NOT (${algorithm} = ANY (p.totp_algorithms)) THEN 'algorithm'`,
      `WHEN p.totp_digits IS NOT NULL AND NOT (${digits} = ANY (p.totp_digits)) THEN 'digits'`,
      `WHEN p.totp_hardware_only AND ${s.param(request.tokenProfile, "text")} = 'software' THEN 'token_profile'`,
    );
  }
  if (request.kind === "app_passwords" && request.ttlMs !== undefined) {
    // A Duration may carry a fraction of a millisecond; the column is whole ones.
    branches.push(`WHEN p.app_password_max_lifetime_ms < ${s.param(Math.ceil(request.ttlMs), "bigint")} THEN 'ttl'`);
  }
  return `SELECT (SELECT CASE ${branches.join(" ")} END FROM provider_policies p WHERE p.tenant_id = ${s.ref("tenant")}) AS refusal`;
}

/** SQL boolean: the gate CTE named `gate` let the request through. */
export function policyAllowsSql(gate: string): string {
  return `((SELECT refusal FROM ${gate}) IS NULL)`;
}

/** Scalar SQL: the tenant's maximum app password lifetime in ms (NULL: no maximum). */
export function appPasswordMaxLifetimeSql(s: Statement): string {
  return `(SELECT app_password_max_lifetime_ms FROM provider_policies WHERE tenant_id = ${s.ref("tenant")})`;
}

/** A CTE body replacing the tenant's policy: one upsert, so concurrent setters cannot interleave half a policy. */
export function saveProviderPolicyCte(s: Statement, policy: ProviderPolicy, updatedBy: string): string {
  const t = policy.totp;
  return `INSERT INTO provider_policies (tenant_id, disabled_kinds, totp_algorithms, totp_digits, totp_hardware_only,
                                 app_password_max_lifetime_ms, updated_at, updated_by)
    VALUES (${s.ref("tenant")}, ${s.param(policy.disabledKinds, "text[]")}, ${s.param(t?.algorithms ?? null, "text[]")},
            ${s.param(t?.digits ?? null, "integer[]")}, ${s.param(t?.hardwareOnly ?? false, "boolean")},
            ${s.param(policy.appPasswordMaxLifetimeMs ?? null, "bigint")}, ${s.ref("now")}, ${s.param(updatedBy, "text")})
    ON CONFLICT (tenant_id) DO UPDATE SET
      disabled_kinds = EXCLUDED.disabled_kinds, totp_algorithms = EXCLUDED.totp_algorithms, totp_digits = EXCLUDED.totp_digits,
      totp_hardware_only = EXCLUDED.totp_hardware_only, app_password_max_lifetime_ms = EXCLUDED.app_password_max_lifetime_ms,
      updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
    RETURNING tenant_id`;
}
