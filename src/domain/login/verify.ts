import type { AppDeps } from "../../app.js";
import { metrics } from "../../metrics/index.js";
import { recordAudit } from "../audit/index.js";
import { countRemaining } from "../backup-codes/status.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import type { FailureReason } from "../factors/failure-reason.js";
import { admitOrAudit, throttleSuccess } from "../throttle/index.js";
import { TransactionSpentError, type LoginProof, type ProofOutcome, type ProviderName } from "./provider.js";
import { verifyPasswordless } from "../webauthn/authentication/passwordless-verify.js";
import { checkProof } from "./providers.js";
import { claimAttempt, spendTransaction, transactionProblem } from "./transaction-store.js";

/** What was proven, for the caller's session. */
export interface AuthContext {
  userId: string;
  factorId: string;
  provider: ProviderName;
  /** RFC 8176 authentication method references. */
  amr: string[];
  verifiedAt: Date;
  driftSeconds: number;
  backupCodesRemaining: number;
}

/** Verified with its context, or refused with a reason (not an error). */
export type VerifyResult = { verified: true; context: AuthContext } | { verified: false; reason: FailureReason };

/**
 * Checks one proof against an open login transaction. In order:
 * the attempt is counted on the transaction (unknown → NOT_FOUND; expired,
 * spent or out of attempts → FAILED_PRECONDITION); the user's throttle admits
 * it or answers RESOURCE_EXHAUSTED without looking at the proof; then the
 * provider checks the proof, and on success burns its single-use state and
 * spends the transaction together.
 */
export async function verifyLogin(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "config" | "logger">,
  meta: RequestMeta,
  input: { transactionId: string; proof: LoginProof },
): Promise<VerifyResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();

  // Ensure the transaction is open and count this attempt against it.
  const claimed = await claimAttempt(deps.db, tenant, input.transactionId, now);
  if (claimed === undefined) throw await transactionError(deps, tenant, input.transactionId, now);
  // A passwordless transaction has no user until the credential names one; its own flow throttles that user.
  if (claimed.purpose === "passwordless") {
    return verifyPasswordless(deps, meta, { transactionId: input.transactionId, challenge: claimed.challenge, proof: input.proof, now });
  }
  const userId = claimed.userId;

  // Ensure the user is not waiting out earlier failures.
  await admitOrAudit(deps, meta, userId, now);

  let outcome: ProofOutcome;
  try {
    outcome = await checkProof(
      deps,
      {
        meta,
        userId,
        transactionId: input.transactionId,
        now,
        challenge: claimed.challenge,
        spend: (q) => spendTransaction(q, tenant, input.transactionId, now),
      },
      input.proof,
    );
  } catch (err) {
    if (err instanceof TransactionSpentError) throw failedPrecondition("the login transaction was already used", "TRANSACTION_SPENT");
    throw err;
  }

  if (!outcome.verified) {
    await recordAudit(deps, deps.db, meta, now, {
      kind: "verify.failed",
      userId,
      factorId: outcome.factorId,
      details: { provider: outcome.provider, reason: outcome.reason, transaction_id: input.transactionId },
    });
    metrics.verification(outcome.provider, outcome.reason);
    return { verified: false, reason: outcome.reason };
  }
  await throttleSuccess(deps, tenant, userId);
  const backupCodesRemaining = await countRemaining(deps, tenant, userId);
  await recordAudit(deps, deps.db, meta, now, {
    kind: "verify.succeeded",
    userId,
    factorId: outcome.factorId,
    details: {
      provider: outcome.provider,
      drift_seconds: outcome.driftSeconds,
      resynced: outcome.resynced,
      transaction_id: input.transactionId,
    },
  });
  metrics.verification(outcome.provider, "verified");
  return {
    verified: true,
    context: {
      userId,
      factorId: outcome.factorId,
      provider: outcome.provider,
      amr: outcome.amr,
      verifiedAt: now,
      driftSeconds: outcome.driftSeconds,
      backupCodesRemaining,
    },
  };
}

async function transactionError(
  deps: Pick<AppDeps, "db">,
  tenant: string,
  id: string,
  now: Date,
): Promise<Error> {
  const problem = await transactionProblem(deps.db, tenant, id, now);
  switch (problem) {
    case "expired":
      return failedPrecondition("the login transaction has expired", "TRANSACTION_EXPIRED");
    case "spent":
      return failedPrecondition("the login transaction was already used", "TRANSACTION_SPENT");
    case "exhausted":
      return failedPrecondition("the login transaction has no attempts left", "TRANSACTION_EXHAUSTED");
    case "unknown":
      return notFound("login transaction");
    default:
      // Claimable again by now (a race with expiry cannot reopen it); ask the caller to retry with a new one.
      return failedPrecondition("the login transaction cannot take this attempt", "TRANSACTION_UNAVAILABLE");
  }
}
