import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import type { FailureReason } from "../factors/failure-reason.js";
import type { FactorRow } from "../factors/factor-row.js";
import { rememberResync } from "../factors/factor-store.js";
import { activateOtp, confirmFailed, ensurePendingOtp } from "../otp/confirm-otp.js";
import { admitOrAudit } from "../throttle/index.js";
import type { ConfirmTotpInput, ConfirmTotpResult } from "../totp/confirm-totp.js";
import { checkHotpFactor } from "./check-hotp-factor.js";

/**
 * Proves a pending HOTP enrolment with one code from the token: within the
 * look-ahead of the starting counter, or the second of two consecutive codes
 * beyond it. The proving counter is burnt in the one conditional UPDATE that
 * activates the factor. A wrong code is an ordinary outcome and counts as a
 * throttle failure. `row` is the factor, already found by the caller.
 */
export async function confirmHotpEnrolment(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "logger">,
  meta: RequestMeta,
  input: ConfirmTotpInput,
  row: FactorRow,
): Promise<ConfirmTotpResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  // Ensure the factor is HOTP and still pending.
  ensurePendingOtp(row, "hotp", now);

  // Ensure the user is not waiting out failures; the code is not evaluated if so.
  await admitOrAudit(deps, meta, input.userId, now);

  const decision = checkHotpFactor(deps.keyring, row, input.code);
  let reason: FailureReason;
  if (decision.kind === "accept") {
    const accept = { step: decision.counter, driftSteps: 0, resyncedFrom: decision.resyncedFrom };
    const confirmed = await activateOtp(deps, meta, now, input.userId, row, accept, () => ({
      provider: "hotp",
      counter: decision.counter + 1,
      resynced: decision.resyncedFrom !== undefined,
    }));
    if (confirmed !== undefined) return confirmed;
    reason = "replayed";
  } else if (decision.kind === "resync_needed") {
    await rememberResync(deps.db, tenant, input.userId, row.id, decision.counter, 0);
    reason = "resync_needed";
  } else {
    reason = decision.kind;
  }
  return confirmFailed(deps, meta, now, input.userId, row, reason);
}
