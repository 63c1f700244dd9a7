import type { AppDeps } from "../../app.js";
import { recordAudit, type AuditDetails } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import type { FailureReason } from "../factors/failure-reason.js";
import type { Factor } from "../factors/factor.js";
import { factorFromRow, type FactorRow } from "../factors/factor-row.js";
import { acceptOtpStep, findFactor } from "../factors/factor-store.js";
import { throttleSuccess } from "../throttle/index.js";

/**
 * Ensures `row` is a factor of `kind` still waiting for confirmation, with the
 * same errors for TOTP and HOTP: NOT_FOUND for a missing factor or another
 * kind, ALREADY_CONFIRMED, ENROLMENT_EXPIRED.
 */
export function ensurePendingOtp(
  row: FactorRow | undefined,
  kind: "totp" | "hotp",
  now: Date,
): asserts row is FactorRow {
  if (row === undefined || row.kind !== kind) throw notFound("factor");
  if (row.state === "active") throw failedPrecondition("the factor is already confirmed", "ALREADY_CONFIRMED");
  if (row.pending_expires_at === null || row.pending_expires_at.getTime() <= now.getTime()) {
    throw failedPrecondition("the enrolment has expired; enrol again", "ENROLMENT_EXPIRED");
  }
}

/**
 * Activates a pending TOTP or HOTP factor with an accepted step, the same way
 * for both: the step burnt in the one conditional UPDATE that activates the
 * factor, the user's throttle reset, and factor.confirmed audited with
 * `details(factor)`. Undefined when the step was used meanwhile (replayed).
 */
export async function activateOtp(
  deps: Pick<AppDeps, "db" | "logger">,
  meta: RequestMeta,
  now: Date,
  userId: string,
  row: FactorRow,
  accept: { step: number; driftSteps: number; resyncedFrom: number | undefined },
  details: (factor: Factor) => AuditDetails,
): Promise<{ confirmed: true; factor: Factor } | undefined> {
  const tenant = meta.caller.tenant;
  const accepted = await acceptOtpStep(deps.db, {
    tenant,
    userId,
    id: row.id,
    step: accept.step,
    driftSteps: accept.driftSteps,
    now,
    from: "pending",
    resyncStep: accept.resyncedFrom,
  });
  if (accepted === undefined) return undefined;
  const factor = factorFromRow(accepted);
  await throttleSuccess(deps, tenant, userId);
  await recordAudit(deps, deps.db, meta, now, {
    kind: "factor.confirmed",
    userId,
    factorId: row.id,
    details: details(factor),
  });
  return { confirmed: true, factor };
}

/**
 * A refused confirmation, ended the same way for TOTP and HOTP: audited as
 * factor.confirm_failed with the reason (never the code), and the factor as
 * it now stands, so a resync the check remembered is visible.
 */
export async function confirmFailed(
  deps: Pick<AppDeps, "db" | "logger">,
  meta: RequestMeta,
  now: Date,
  userId: string,
  row: FactorRow,
  reason: FailureReason,
): Promise<{ confirmed: false; factor: Factor; reason: FailureReason }> {
  await recordAudit(deps, deps.db, meta, now, {
    kind: "factor.confirm_failed",
    userId,
    factorId: row.id,
    details: { provider: row.kind, reason },
  });
  const current = await findFactor(deps.db, meta.caller.tenant, userId, row.id);
  return { confirmed: false, factor: factorFromRow(current ?? row), reason };
}
