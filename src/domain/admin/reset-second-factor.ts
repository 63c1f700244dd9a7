import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { revokeAllAppPasswordsCte } from "../app-passwords/index.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import { deleteListCtes, runListStatement, withListCtes } from "../backup-codes/index.js";
import type { RequestMeta } from "../caller.js";
import { deleteFactorsOfKindsCte, type FactorKind } from "../factors/index.js";

/** What a reset removes: one kind, or everything (every factor, the backup codes, the app passwords). */
export type ResetScopeName = FactorKind | "backup_codes" | "app_passwords" | "all";

interface ResetPlan {
  factorKinds: readonly FactorKind[];
  backupCodes: boolean;
  appPasswords: boolean;
}

const nothing: ResetPlan = { factorKinds: [], backupCodes: false, appPasswords: false };

/** Each scope's removals, in one table so ALL is visibly the union of the others. */
const PLANS: Record<ResetScopeName, ResetPlan> = {
  totp: { ...nothing, factorKinds: ["totp"] },
  hotp: { ...nothing, factorKinds: ["hotp"] },
  webauthn: { ...nothing, factorKinds: ["webauthn"] },
  passwordless: { ...nothing, factorKinds: ["passwordless"] },
  backup_codes: { ...nothing, backupCodes: true },
  app_passwords: { ...nothing, appPasswords: true },
  all: { factorKinds: ["totp", "hotp", "webauthn", "passwordless"], backupCodes: true, appPasswords: true },
};

export interface ResetResult {
  factorsRemoved: number;
  backupCodesRemoved: boolean;
  appPasswordsRevoked: number;
}

/**
 * Disables one kind or all of a user's second factors, for a user who lost a
 * device (scope validated upstream). Afterwards nothing of that kind can be
 * used: factors (pending too) are deleted, the backup code list is deleted,
 * app passwords are revoked (kept, so their history stays listable). When
 * nothing is left, Challenge finds no factor and reports
 * second_factor_required false, so the user can log in with the first factor
 * and enrol again.
 *
 * One statement: the removals and their audit events commit together or not
 * at all. Audited with the admin key that asked.
 */
export async function resetSecondFactor(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  userId: string,
  scope: ResetScopeName,
): Promise<ResetResult> {
  const at = deps.clock.now();
  const plan = PLANS[scope];
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", userId, "text");
  s.define("now", at, "timestamptz");
  s.with("removed", plan.factorKinds.length > 0 ? deleteFactorsOfKindsCte(s, plan.factorKinds) : "SELECT NULL::text AS id, NULL::text AS kind WHERE false");
  if (plan.backupCodes) {
    withListCtes(s, deleteListCtes(s));
  } else {
    s.with("list_header", "SELECT NULL::integer AS total WHERE false").with("list_guard", "SELECT true AS ok");
  }
  s.with("revoked", plan.appPasswords ? revokeAllAppPasswordsCte(s) : "SELECT NULL::text AS id WHERE false");
  s.with(
    "audit",
    auditInsertCte(s, meta, at, [
      {
        kind: "factor.removed",
        userId,
        factorSql: "r.id",
        detailsSql: "jsonb_build_object('factor_kind', r.kind, 'cause', 'admin_reset')",
        from: "removed r",
      },
      {
        kind: "admin.second_factor_reset",
        userId,
        detailsSql: `jsonb_build_object('scope', ${s.param(scope, "text")}, 'factors_removed', (SELECT count(*) FROM removed),
          'backup_codes_removed', EXISTS (SELECT 1 FROM list_header), 'app_passwords_revoked', (SELECT count(*) FROM revoked))`,
      },
    ]),
  );
  const r = await runListStatement<{ factors: number; list: boolean; revoked: number; audits: WrittenAuditRow[] | null }>(
    s,
    deps.db,
    `SELECT (SELECT count(*)::integer FROM removed) AS factors, EXISTS (SELECT 1 FROM list_header) AS list, (SELECT ok FROM list_guard) AS guard,
       (SELECT count(*)::integer FROM revoked) AS revoked, ${writtenAuditRows("audit")}`,
  );
  const row = r.rows[0];
  logWrittenAudits(deps.logger, meta, row?.audits);
  return { factorsRemoved: row?.factors ?? 0, backupCodesRemoved: row?.list ?? false, appPasswordsRevoked: row?.revoked ?? 0 };
}
