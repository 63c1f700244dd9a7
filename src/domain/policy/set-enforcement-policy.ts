import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { tenantSettingsChangedSql } from "../tenant-settings.js";
import type { EnforcementPolicy } from "./enforcement.js";
import { savePolicyCte } from "./policy-store.js";

/**
 * Stores the caller's tenant's policy (parsed upstream by
 * parseEnforcementPolicy) in one statement with its audit row and a notification to every
 * replica's copy of the tenant's settings (tenant-settings.ts). Returns the
 * policy as stored, so the caller sees exactly what will be enforced.
 */
export async function setEnforcementPolicy(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  policy: EnforcementPolicy,
): Promise<EnforcementPolicy> {
  const at = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("now", at, "timestamptz");
  s.with("saved", savePolicyCte(s, policy, meta.caller.keyId));
  s.with(
    "audit",
    auditInsertCte(s, meta, at, [
      {
        kind: "admin.enforcement_policy_set",
        userId: "",
        details: { enforced: policy.enforced, include_groups: policy.includeGroups.length, exclude_groups: policy.excludeGroups.length },
        when: "EXISTS (SELECT 1 FROM saved)",
      },
    ]),
  );
  const r = await s.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT ${writtenAuditRows("audit")}, ${tenantSettingsChangedSql(s.ref("tenant"))}`);
  logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
  return policy;
}
