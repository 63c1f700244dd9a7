import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import { findFactor } from "../factors/factor-store.js";
import type { FailureReason } from "../factors/failure-reason.js";
import type { LoginAttempt, LoginProof, ProofOutcome, ProviderDeps } from "../login/provider.js";
import { confirmTotpEnrolment, type ConfirmTotpInput, type ConfirmTotpResult } from "../totp/confirm-totp.js";
import { checkDummyTotp } from "../totp/check-totp-factor.js";
import { verifyTotpProof } from "../totp/totp-login.js";
import { confirmHotpEnrolment } from "./confirm-hotp.js";
import { spendHotpWork, verifyHotpProof } from "./hotp-login.js";

/**
 * ConfirmEnrolment with an OTP code: the factor's kind decides whether the
 * code is a TOTP or an HOTP code (the request does not say).
 */
export async function confirmOtpEnrolment(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "logger">,
  meta: RequestMeta,
  input: ConfirmTotpInput,
): Promise<ConfirmTotpResult> {
  const row = await findFactor(deps.db, meta.caller.tenant, input.userId, input.factorId);
  if (row !== undefined && row.kind === "hotp") return confirmHotpEnrolment(deps, meta, input, row);
  return confirmTotpEnrolment(deps, meta, input);
}

// Which failure tells the user more, when TOTP and HOTP both refused a code.
function rank(r: FailureReason): number {
  return r === "replayed" ? 2 : r === "resync_needed" ? 1 : 0;
}

/**
 * Verify with an OTP proof (OtpProof carries TOTP and HOTP codes alike).
 *
 * The work rule (DESIGN "Constant work": the work must not depend on whether
 * a user or factor exists, or on where or whether a code matches):
 * - the TOTP window always runs, once per candidate TOTP factor, or once on
 *   the dummy key when there is none (unknown user, no factors, HOTP only,
 *   a named HOTP factor or an unknown factor);
 * - the HOTP window runs only on the user's real HOTP factors, never on a
 *   dummy key, and runs on them whether or not TOTP accepted the code. So an
 *   unknown user, a user without factors and a TOTP-only user do exactly the
 *   same work (TOTP_STEPS_PER_VERIFY HMACs, not the ~50× more of HOTP's resync
 *   search); the extra work of a user with HOTP factors reveals only that
 *   they have one, which Challenge's provider list already tells the caller.
 *
 * A proof naming a TOTP factor runs TOTP only; naming an HOTP factor, HOTP
 * plus the dummy TOTP window; naming an unknown factor, the dummy TOTP window
 * (`unknown_factor`). Otherwise TOTP factors are tried, then HOTP factors,
 * and the more telling refusal is reported.
 */
export async function verifyOtpProof(
  deps: ProviderDeps,
  attempt: LoginAttempt,
  proof: Extract<LoginProof, { kind: "otp" }>,
): Promise<ProofOutcome> {
  if (proof.factorId !== undefined) {
    const row = await findFactor(deps.db, attempt.meta.caller.tenant, attempt.userId, proof.factorId);
    if (row !== undefined && row.kind === "hotp") {
      // The TOTP window always runs, here on the dummy key (cheap).
      checkDummyTotp(proof.code, attempt.now, deps.config.totpWindow);
      return verifyHotpProof(deps, attempt, proof);
    }
    return verifyTotpProof(deps, attempt, proof);
  }
  const totp = await verifyTotpProof(deps, attempt, proof);
  if (totp.verified) {
    // The user's HOTP factors cost the same whether or not TOTP matched.
    await spendHotpWork(deps, attempt, proof.code);
    return totp;
  }
  const hotp = await verifyHotpProof(deps, attempt, proof);
  if (hotp.verified) return hotp;
  return rank(hotp.reason) > rank(totp.reason) ? hotp : totp;
}
