import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import { invalidArgument, type FieldViolation } from "../errors.js";
import { recordAudit } from "../audit/index.js";
import type { FactorKind } from "../factors/index.js";
import { deleteBackupCodeList, deleteFactorsOfKinds, revokeAllAppPasswords } from "./reset-store.js";
import { checkUserId } from "./user-id.js";

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

/** Narrows a scope name; anything else (including "" for an unspecified scope) is invalid. */
export function isResetScope(s: string): s is ResetScopeName {
  return Object.hasOwn(PLANS, s);
}

export interface ResetResult {
  factorsRemoved: number;
  backupCodesRemoved: boolean;
  appPasswordsRevoked: number;
}

/**
 * Disables one kind or all of a user's second factors, for a user who lost a
 * device. Afterwards nothing of that kind can be used: factors (pending too)
 * are deleted, the backup code list is deleted, app passwords are revoked
 * (kept, so their history stays listable). When nothing is left, the login
 * flow's Challenge finds no factor and reports second_factor_required false,
 * so the user can log in with the first factor and enrol again.
 *
 * One transaction: the removals and their audit events commit together or
 * not at all. Audited with the admin key that asked.
 */
export async function resetSecondFactor(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  userId: string,
  scope: string,
): Promise<ResetResult> {
  const violations: FieldViolation[] = [];
  checkUserId(userId, violations);
  if (!isResetScope(scope)) {
    violations.push({ field: "scope", description: "must be one of ALL, TOTP, HOTP, WEBAUTHN, PASSWORDLESS, BACKUP_CODES, APP_PASSWORDS" });
  }
  if (violations.length > 0 || !isResetScope(scope)) throw invalidArgument(violations);

  const tenant = meta.caller.tenant;
  const at = deps.clock.now();
  const plan = PLANS[scope];

  return deps.db.transaction(async (tx) => {
    const removed = plan.factorKinds.length > 0 ? await deleteFactorsOfKinds(tx, tenant, userId, plan.factorKinds) : [];
    const backupCodesRemoved = plan.backupCodes ? await deleteBackupCodeList(tx, tenant, userId) : false;
    const appPasswordsRevoked = plan.appPasswords ? await revokeAllAppPasswords(tx, tenant, userId, at) : 0;

    for (const f of removed) {
      await recordAudit(deps, tx, meta, at, {
        userId,
        kind: "factor.removed",
        factorId: f.id,
        details: { factor_kind: f.kind, cause: "admin_reset" },
      });
    }
    await recordAudit(deps, tx, meta, at, {
      userId,
      kind: "admin.second_factor_reset",
      details: {
        scope,
        factors_removed: removed.length,
        backup_codes_removed: backupCodesRemoved,
        app_passwords_revoked: appPasswordsRevoked,
      },
    });
    return { factorsRemoved: removed.length, backupCodesRemoved, appPasswordsRevoked };
  });
}
