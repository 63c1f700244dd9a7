import { driftSeconds, type TokenProfile } from "../factors/factor.js";
import { factorFromRow, type FactorRow } from "../factors/factor-row.js";
import { rememberResync } from "../factors/factor-store.js";
import type { LoginAttempt, LoginProof, LoginProvider, ProofOutcome, ProviderDeps } from "../login/provider.js";
import { burnOtpStep, otpCandidates, otpLoginProvider } from "../otp/otp-login.js";
import { checkDummyTotp, checkTotpFactor } from "./check-totp-factor.js";
import type { TotpDecision } from "./decide-totp.js";

/**
 * RFC 8176 AMR values for a TOTP login: `otp`, the key's protection (`hwk` on
 * a hardware token, `swk` in an app), and `mfa`, since twofold only ever
 * checks a second factor after the caller's first.
 */
export function totpAmr(profile: TokenProfile): string[] {
  return ["otp", profile === "software" ? "swk" : "hwk", "mfa"];
}

/** TOTP at Challenge: the user's active TOTP factors. */
export const totpLoginProvider: LoginProvider = otpLoginProvider("totp");

/**
 * TOTP at Verify. Every candidate factor is checked in full before deciding
 * (no early exit), and a user with no TOTP factor, or a proof naming an
 * unknown factor, costs the same work on a dummy key: this window runs on
 * every OTP proof, so it alone makes users without HOTP factors cost the same
 * (DESIGN "Constant work"; see verifyOtpProof). An accepted step is burnt and
 * the transaction spent in one database transaction.
 */
export async function verifyTotpProof(
  deps: ProviderDeps,
  attempt: LoginAttempt,
  proof: Extract<LoginProof, { kind: "otp" }>,
): Promise<ProofOutcome> {
  const tenant = attempt.meta.caller.tenant;
  const window = deps.config.totpWindow;
  const rows = await otpCandidates(deps.db, tenant, attempt.userId, "totp", proof.factorId);
  if (rows.length === 0) {
    checkDummyTotp(proof.code, attempt.now, window);
    const reason = proof.factorId !== undefined ? "unknown_factor" : "wrong_code";
    return { verified: false, provider: "totp", reason, factorId: proof.factorId ?? "" };
  }

  const decisions: TotpDecision[] = rows.map((row) => checkTotpFactor(deps.keyring, row, proof.code, attempt.now, window));
  const acceptedAt = decisions.findIndex((d) => d.kind === "accept");
  if (acceptedAt >= 0) {
    const row = rows[acceptedAt] as FactorRow;
    const decision = decisions[acceptedAt] as Extract<TotpDecision, { kind: "accept" }>;
    const accepted = await burnOtpStep(deps, attempt, row.id, decision);
    if (accepted === undefined) return { verified: false, provider: "totp", reason: "replayed", factorId: row.id };
    const factor = factorFromRow(accepted);
    return {
      verified: true,
      provider: "totp",
      factorId: factor.id,
      amr: totpAmr(factor.tokenProfile),
      driftSeconds: driftSeconds(factor),
      resynced: decision.resyncedFrom !== undefined,
    };
  }
  const replayedAt = decisions.findIndex((d) => d.kind === "replayed");
  if (replayedAt >= 0) return { verified: false, provider: "totp", reason: "replayed", factorId: rows[replayedAt]?.id ?? "" };
  let resyncFactor = "";
  for (const [i, d] of decisions.entries()) {
    if (d.kind !== "resync_needed") continue;
    const row = rows[i] as FactorRow;
    await rememberResync(deps.db, tenant, attempt.userId, row.id, d.step, d.offset);
    resyncFactor ||= row.id;
  }
  if (resyncFactor !== "") return { verified: false, provider: "totp", reason: "resync_needed", factorId: resyncFactor };
  return { verified: false, provider: "totp", reason: "wrong_code", factorId: proof.factorId ?? "" };
}
