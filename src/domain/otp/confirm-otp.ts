import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import type { FailureReason } from "../factors/failure-reason.js";
import type { Factor } from "../factors/factor.js";
import { factorFromRow, type FactorRow } from "../factors/factor-row.js";
import { findFactor } from "../factors/factor-store.js";

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
