import type { Queryable } from "../../store/db.js";
import { failedPrecondition } from "../errors.js";
import { factorFromRow, type FactorRow } from "../factors/factor-row.js";
import { acceptOtpStep, findFactor, listActiveFactors } from "../factors/factor-store.js";
import { TransactionSpentError, type LoginAttempt, type LoginProvider, type ProviderDeps } from "../login/provider.js";

/** TOTP or HOTP at Challenge: the user's active factors of that kind; one shape for both. */
export function otpLoginProvider(kind: "totp" | "hotp"): LoginProvider {
  return {
    name: kind,
    async options(deps, tenant, userId) {
      const rows = await listActiveFactors(deps.db, tenant, userId, kind);
      if (rows.length === 0) return undefined;
      return { provider: kind, factors: rows.map(factorFromRow), turnsOnSecondFactor: true };
    },
  };
}

/**
 * The factors an OTP proof is checked against, chosen the same way for TOTP
 * and HOTP: the named factor if it is one of the user's factors of `kind`, else
 * all their active ones. A named factor still pending confirmation is refused
 * (FACTOR_PENDING). Empty when nothing matches; TOTP then spends the same
 * work on a dummy key, HOTP none (DESIGN "Constant work"; see verifyOtpProof).
 */
export async function otpCandidates(
  db: Queryable,
  tenant: string,
  userId: string,
  kind: "totp" | "hotp",
  factorId: string | undefined,
): Promise<FactorRow[]> {
  if (factorId === undefined) return listActiveFactors(db, tenant, userId, kind);
  const row = await findFactor(db, tenant, userId, factorId);
  // Ensure a named factor is one of the user's factors of this kind, and confirmed.
  if (row !== undefined && row.kind === kind && row.state === "pending") {
    throw failedPrecondition("the factor is pending confirmation", "FACTOR_PENDING");
  }
  return row !== undefined && row.kind === kind ? [row] : [];
}

/**
 * Burns an accepted TOTP step or HOTP counter (one conditional UPDATE) and
 * spends the login transaction, in one database transaction, the same way for
 * both factors, so two replicas racing on a code yield one success. Undefined
 * when the step was used meanwhile (a replay).
 */
export async function burnOtpStep(
  deps: ProviderDeps,
  attempt: LoginAttempt,
  factorId: string,
  accept: { step: number; driftSteps: number; resyncedFrom: number | undefined },
): Promise<FactorRow | undefined> {
  return deps.db.transaction(async (tx) => {
    const updated = await acceptOtpStep(tx, {
      tenant: attempt.meta.caller.tenant,
      userId: attempt.userId,
      id: factorId,
      step: accept.step,
      driftSteps: accept.driftSteps,
      now: attempt.now,
      from: "active",
      resyncStep: accept.resyncedFrom,
    });
    if (updated === undefined) return undefined;
    if (!(await attempt.spend(tx))) throw new TransactionSpentError();
    return updated;
  });
}
