import { factorFromRow, type FactorRow } from "../factors/factor-row.js";
import { listActiveFactors, rememberResync } from "../factors/factor-store.js";
import type { LoginAttempt, LoginProof, LoginProvider, ProofOutcome, ProviderDeps } from "../login/provider.js";
import { burnOtpStep, otpCandidates, otpLoginProvider } from "../otp/otp-login.js";
import { totpAmr } from "../totp/totp-login.js";
import { checkHotpFactor } from "./check-hotp-factor.js";
import type { HotpDecision } from "./decide-hotp.js";

/** HOTP at Challenge: the user's active HOTP factors. */
export const hotpLoginProvider: LoginProvider = otpLoginProvider("hotp");

/**
 * HOTP at Verify, shaped like verifyTotpProof: every candidate factor is
 * checked in full before deciding, and an accepted counter is burnt
 * (last_step = matched, one conditional UPDATE) and the transaction spent in
 * one database transaction, so two replicas racing on a code yield one success.
 * Unlike TOTP, a user without HOTP factors (or an unknown named factor) does
 * no HOTP work at all, not even on a dummy key: the TOTP window, which always
 * runs, already makes every user without HOTP cost the same (DESIGN
 * "Constant work"; see verifyOtpProof).
 */
export async function verifyHotpProof(
  deps: ProviderDeps,
  attempt: LoginAttempt,
  proof: Extract<LoginProof, { kind: "otp" }>,
): Promise<ProofOutcome> {
  const tenant = attempt.meta.caller.tenant;
  const rows = await otpCandidates(deps.db, tenant, attempt.userId, "hotp", proof.factorId);
  if (rows.length === 0) {
    const reason = proof.factorId !== undefined ? "unknown_factor" : "wrong_code";
    return { verified: false, provider: "hotp", reason, factorId: proof.factorId ?? "" };
  }

  const decisions: HotpDecision[] = rows.map((row) => checkHotpFactor(deps.keyring, row, proof.code));
  const acceptedAt = decisions.findIndex((d) => d.kind === "accept");
  if (acceptedAt >= 0) {
    const row = rows[acceptedAt] as FactorRow;
    const decision = decisions[acceptedAt] as Extract<HotpDecision, { kind: "accept" }>;
    const accepted = await burnOtpStep(deps, attempt, row.id, {
      step: decision.counter,
      driftSteps: 0,
      resyncedFrom: decision.resyncedFrom,
    });
    if (accepted === undefined) return { verified: false, provider: "hotp", reason: "replayed", factorId: row.id };
    const factor = factorFromRow(accepted);
    return {
      verified: true,
      provider: "hotp",
      factorId: factor.id,
      amr: totpAmr(factor.tokenProfile),
      driftSeconds: 0,
      resynced: decision.resyncedFrom !== undefined,
    };
  }
  const replayedAt = decisions.findIndex((d) => d.kind === "replayed");
  if (replayedAt >= 0) return { verified: false, provider: "hotp", reason: "replayed", factorId: rows[replayedAt]?.id ?? "" };
  let resyncFactor = "";
  for (const [i, d] of decisions.entries()) {
    if (d.kind !== "resync_needed") continue;
    const row = rows[i] as FactorRow;
    await rememberResync(deps.db, tenant, attempt.userId, row.id, d.counter, 0);
    resyncFactor ||= row.id;
  }
  if (resyncFactor !== "") return { verified: false, provider: "hotp", reason: "resync_needed", factorId: resyncFactor };
  return { verified: false, provider: "hotp", reason: "wrong_code", factorId: proof.factorId ?? "" };
}

/**
 * The HOTP work verifyHotpProof would do for this user, with the results
 * discarded: run when TOTP already accepted the code, so a user with HOTP
 * factors costs the same whether or not a code matched (DESIGN "Constant
 * work"). Nothing for a user without HOTP factors.
 */
export async function spendHotpWork(deps: ProviderDeps, attempt: LoginAttempt, code: string): Promise<void> {
  const rows = await listActiveFactors(deps.db, attempt.meta.caller.tenant, attempt.userId, "hotp");
  for (const row of rows) checkHotpFactor(deps.keyring, row, code);
}
