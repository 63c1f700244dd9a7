import { metrics } from "../../metrics/index.js";
import type { Statement } from "../../store/statement.js";
import type { AuditRowPart } from "../audit/index.js";
import { failedPrecondition, notFound } from "../errors.js";
import type { Decision, FailureReason, LoginAttempt, ProviderName } from "../factors/index.js";
import { MAX_TRANSACTION_ATTEMPTS } from "./transaction-store.js";

/**
 * The shared tail of every Verify, whichever path wrote it: the audit rows an
 * outcome leaves, and the answer it gives.
 */

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
 * The audit rows of a judged attempt. A success writes `verify.succeeded`
 * (and its burn's rows) when `spent` holds, and `verify.failed` with the
 * burn's lost reason when `burnt` does not; a refusal writes its own rows
 * and `verify.failed`. `gate` (SQL boolean), when given, is one more
 * condition of every row.
 */
export function outcomeAuditRows(
  s: Statement,
  attempt: LoginAttempt,
  decision: Decision,
  sql: { spent: string; burnt: string; gate?: string },
): AuditRowPart[] {
  const base = {
    provider: decision.provider,
    transaction_id: attempt.transactionId,
    ...(attempt.purpose === "passwordless" ? { purpose: "passwordless" } : {}),
  };
  const gated = (row: AuditRowPart): AuditRowPart => {
    if (sql.gate === undefined) return row;
    return { ...row, when: row.when === undefined ? sql.gate : `(${sql.gate}) AND (${row.when})` };
  };
  if (!decision.verified) {
    const rows: AuditRowPart[] = [
      ...(decision.audits ?? []),
      { kind: "verify.failed", userId: attempt.userId, factorId: decision.factorId, details: { ...base, reason: decision.reason } },
    ];
    return rows.map(gated);
  }
  const rows: AuditRowPart[] = [
    { kind: "verify.succeeded", userId: attempt.userId, factorId: decision.factorId, details: { ...base, ...decision.details }, when: sql.spent },
    ...(decision.burn.extraAudits?.(s, sql.spent) ?? []),
    {
      kind: "verify.failed",
      userId: attempt.userId,
      factorId: decision.factorId,
      details: { ...base, reason: decision.burn.lostReason },
      when: `NOT ${sql.burnt}`,
    },
  ];
  return rows.map(gated);
}

/** The answer to a refusal, counted. */
export function refused(provider: ProviderName, reason: FailureReason): VerifyResult {
  metrics.verification(provider, reason);
  return { verified: false, reason };
}

/** The answer to a success whose write burnt and spent, counted. */
export function verified(attempt: LoginAttempt, decision: Extract<Decision, { verified: true }>, backupCodesRemaining: number): VerifyResult {
  metrics.verification(decision.provider, "verified");
  return {
    verified: true,
    context: {
      userId: attempt.userId,
      factorId: decision.factorId,
      provider: decision.provider,
      amr: decision.amr,
      verifiedAt: attempt.now,
      driftSeconds: decision.driftSeconds,
      backupCodesRemaining,
    },
  };
}

/** The transaction as a statement's snapshot saw it (transactionStateColumns). */
export interface TransactionState {
  h_tx_expires_at: Date | null;
  h_tx_spent_at: Date | null;
  h_tx_attempts: number | null;
}

/** Why the transaction took no attempt, from the state the statement saw. */
export function transactionError(head: TransactionState, now: Date): Error {
  if (head.h_tx_expires_at === null) return notFound("login transaction");
  if (head.h_tx_spent_at !== null) return failedPrecondition("the login transaction was already used", "TRANSACTION_SPENT");
  if (head.h_tx_expires_at.getTime() <= now.getTime()) return failedPrecondition("the login transaction has expired", "TRANSACTION_EXPIRED");
  if ((head.h_tx_attempts ?? 0) >= MAX_TRANSACTION_ATTEMPTS) {
    return failedPrecondition("the login transaction has no attempts left", "TRANSACTION_EXHAUSTED");
  }
  return transactionTaken();
}

/** Claimable by the statement's snapshot, yet taken by a concurrent attempt: ask for a new transaction. */
export function transactionTaken(): Error {
  return failedPrecondition("the login transaction cannot take this attempt", "TRANSACTION_UNAVAILABLE");
}
