import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import { findFactor } from "../factors/factor-store.js";
import type { FailureReason } from "../factors/failure-reason.js";
import type { LoginAttempt, LoginProof, ProofOutcome, ProviderDeps } from "../login/provider.js";
import { confirmTotpEnrolment, type ConfirmTotpInput, type ConfirmTotpResult } from "../totp/confirm-totp.js";
import { checkDummyTotp } from "../totp/check-totp-factor.js";
import { verifyTotpProof } from "../totp/totp-login.js";
import { checkDummyHotp } from "./check-hotp-factor.js";
import { confirmHotpEnrolment } from "./confirm-hotp.js";
import { verifyHotpProof } from "./hotp-login.js";

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
 * Verify with an OTP proof (OtpProof carries TOTP and HOTP codes alike). A
 * proof naming a factor goes to that factor's kind; otherwise the user's TOTP
 * factors are tried, then their HOTP factors, each provider doing its full
 * (or dummy) work whatever the outcome (DESIGN "Constant work"), and the more
 * telling refusal is reported.
 */
export async function verifyOtpProof(
  deps: ProviderDeps,
  attempt: LoginAttempt,
  proof: Extract<LoginProof, { kind: "otp" }>,
): Promise<ProofOutcome> {
  if (proof.factorId !== undefined) {
    const row = await findFactor(deps.db, attempt.meta.caller.tenant, attempt.userId, proof.factorId);
    // The other kind's dummy work too, so every OTP proof costs the same.
    if (row !== undefined && row.kind === "hotp") {
      checkDummyTotp(proof.code, attempt.now, deps.config.totpWindow);
      return verifyHotpProof(deps, attempt, proof);
    }
    checkDummyHotp(proof.code);
    return verifyTotpProof(deps, attempt, proof);
  }
  const totp = await verifyTotpProof(deps, attempt, proof);
  if (totp.verified) {
    checkDummyHotp(proof.code);
    return totp;
  }
  const hotp = await verifyHotpProof(deps, attempt, proof);
  if (hotp.verified) return hotp;
  return rank(hotp.reason) > rank(totp.reason) ? hotp : totp;
}
