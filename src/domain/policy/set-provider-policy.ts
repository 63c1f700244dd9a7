import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { tenantSettingsChangedSql } from "../tenant-settings.js";
import type { ProviderPolicy } from "./provider-policy.js";
import { saveProviderPolicyCte } from "./provider-policy-store.js";

/**
 * Stores the caller's tenant's provider policy (parsed upstream by
 * parseProviderPolicy) in one statement with its audit row, which names the
 * caller's key, and a notification to every replica's copy of the tenant's
 * settings (tenant-settings.ts). Factors of a kind turned off stay stored;
 * returns the policy as stored.
 */
export async function setProviderPolicy(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  policy: ProviderPolicy,
): Promise<ProviderPolicy> {
  const at = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("now", at, "timestamptz");
  s.with("saved", saveProviderPolicyCte(s, policy, meta.caller.keyId));
  const t = policy.totp;
  s.with(
    "audit",
    auditInsertCte(s, meta, at, [
      {
        kind: "admin.provider_policy_set",
        userId: "",
        details: {
          disabled_kinds: policy.disabledKinds.join(" "),
          totp_algorithms: t === undefined ? "" : t.algorithms.join(" "),
          totp_digits: t === undefined ? "" : t.digits.join(" "),
          totp_hardware_only: t?.hardwareOnly ?? false,
          app_password_max_lifetime_seconds: policy.appPasswordMaxLifetimeMs === undefined ? 0 : Math.floor(policy.appPasswordMaxLifetimeMs / 1000),
        },
        when: "EXISTS (SELECT 1 FROM saved)",
      },
    ]),
  );
  const r = await s.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT ${writtenAuditRows("audit")}, ${tenantSettingsChangedSql(s.ref("tenant"))}`);
  logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
  return policy;
}
