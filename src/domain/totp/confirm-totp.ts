import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import type { FailureReason } from "../factors/failure-reason.js";
import { driftSeconds, type Factor } from "../factors/factor.js";
import { findFactor, rememberResync } from "../factors/factor-store.js";
import { activateOtp, confirmFailed, ensurePendingOtp } from "../otp/confirm-otp.js";
import { admitOrAudit } from "../throttle/index.js";
import { checkTotpFactor } from "./check-totp-factor.js";

/** Confirmation checks ±1 step around a new factor's zero drift (DESIGN "Factors and their rules"). */
export const CONFIRM_WINDOW = 1;

/** A pending factor of the user's, and the code that proves it. */
export interface ConfirmTotpInput {
  userId: string;
  factorId: string;
  code: string;
}

/** Confirmed, or still pending with the reason (wrong code is an ordinary outcome). */
export type ConfirmTotpResult =
  | { confirmed: true; factor: Factor }
  | { confirmed: false; factor: Factor; reason: FailureReason };

/**
 * Proves a pending TOTP enrolment with one code. The proving code's step is
 * burnt (last_step) and its offset learned as the drift, in the one
 * conditional UPDATE that activates the factor. A wrong code is an ordinary
 * outcome and counts as a throttle failure.
 */
export async function confirmTotpEnrolment(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "logger">,
  meta: RequestMeta,
  input: ConfirmTotpInput,
): Promise<ConfirmTotpResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const row = await findFactor(deps.db, tenant, input.userId, input.factorId);
  // Ensure the factor exists for this tenant and user, is TOTP, and is still pending.
  ensurePendingOtp(row, "totp", now);

  // Ensure the user is not waiting out failures; the code is not evaluated if so.
  await admitOrAudit(deps, meta, input.userId, now);

  const decision = checkTotpFactor(deps.keyring, row, input.code, now, CONFIRM_WINDOW);
  let reason: FailureReason;
  if (decision.kind === "accept") {
    const confirmed = await activateOtp(deps, meta, now, input.userId, row, decision, (factor) => ({
      provider: "totp",
      drift_seconds: driftSeconds(factor),
      resynced: decision.resyncedFrom !== undefined,
    }));
    if (confirmed !== undefined) return confirmed;
    reason = "replayed";
  } else if (decision.kind === "resync_needed") {
    await rememberResync(deps.db, tenant, input.userId, row.id, decision.step, decision.offset);
    reason = "resync_needed";
  } else {
    reason = decision.kind;
  }
  return confirmFailed(deps, meta, now, input.userId, row, reason);
}
