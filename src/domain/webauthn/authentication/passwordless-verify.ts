import { timingSafeEqual } from "node:crypto";
import type { AppDeps } from "../../../app.js";
import { recordAudit } from "../../audit/index.js";
import { countRemaining } from "../../backup-codes/status.js";
import type { RequestMeta } from "../../caller.js";
import { failedPrecondition } from "../../errors.js";
import type { FailureReason } from "../../factors/failure-reason.js";
import { TransactionSpentError, type LoginProof } from "../../login/provider.js";
import { spendTransaction } from "../../login/transaction-store.js";
import type { VerifyResult } from "../../login/verify.js";
import { admitOrAudit, throttleSuccess } from "../../throttle/index.js";
import { findCredential } from "../helpers/credential-store.js";
import { storedUserHandle } from "../helpers/user-handle.js";
import { checkAssertion, checkUnknownCredential, webauthnAmr, type AssertionOutcome } from "./check-assertion.js";

function sameHandle(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = Buffer.from(a, "base64url");
  const y = Buffer.from(b, "base64url");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * Verify on a passwordless transaction (its attempt already counted): the
 * credential, found by id within the tenant, names the user. In order:
 * - the proof must be a WebAuthn assertion (FAILED_PRECONDITION otherwise);
 * - an unknown credential is UNKNOWN_FACTOR (no user to throttle yet: the
 *   transaction's attempt limit bounds it);
 * - the owner's throttle admits the attempt, or RESOURCE_EXHAUSTED;
 * - a second-factor credential is WRONG_ROLE;
 * - the assertion's userHandle must be the owner's stored handle, and the
 *   assertion must verify with UV (checkAssertion).
 * On success AuthContext.user_id is the identified user.
 */
export async function verifyPasswordless(
  deps: Pick<AppDeps, "db" | "clock" | "config" | "logger">,
  meta: RequestMeta,
  input: { transactionId: string; challenge: string | undefined; proof: LoginProof; now: Date },
): Promise<VerifyResult> {
  const tenant = meta.caller.tenant;
  const { now, proof } = input;
  // Ensure the proof is an assertion: nothing else can name the user.
  if (proof.kind !== "webauthn" || input.challenge === undefined) {
    throw failedPrecondition("a passwordless login transaction takes a WebAuthn assertion only", "PASSWORDLESS_NEEDS_WEBAUTHN");
  }
  const failed = async (userId: string, factorId: string, reason: FailureReason): Promise<VerifyResult> => {
    await recordAudit(deps, deps.db, meta, now, {
      kind: "verify.failed",
      userId,
      factorId,
      details: { provider: "webauthn", purpose: "passwordless", reason, transaction_id: input.transactionId },
    });
    return { verified: false, reason };
  };

  // Ensure the credential is registered in this tenant.
  const row = await findCredential(deps.db, tenant, proof.assertion.id);
  if (row === undefined) {
    await checkUnknownCredential(deps, tenant, proof.assertion, input.challenge);
    return failed("", "", "unknown_factor");
  }
  const userId = row.user_id;

  // Ensure the owner is not waiting out earlier failures.
  await admitOrAudit(deps, meta, userId, now);

  // Ensure it is a passwordless credential, not a second-factor one.
  if (row.kind !== "passwordless") return failed(userId, row.id, "wrong_role");

  // Ensure the authenticator's account is the owner's (userHandle, W3C WebAuthn §7.2 step 6).
  const handle = await storedUserHandle(deps.db, tenant, userId);
  if (!sameHandle(proof.assertion.response.userHandle, handle)) return failed(userId, row.id, "invalid_assertion");

  let outcome: AssertionOutcome;
  try {
    outcome = await checkAssertion(deps, meta, {
      credential: row,
      role: "passwordless",
      response: proof.assertion,
      challenge: input.challenge,
      now,
      spend: (q) => spendTransaction(q, tenant, input.transactionId, now),
    });
  } catch (err) {
    if (err instanceof TransactionSpentError) throw failedPrecondition("the login transaction was already used", "TRANSACTION_SPENT");
    throw err;
  }
  if (!outcome.verified) return failed(userId, outcome.factorId, outcome.reason);

  await throttleSuccess(deps, tenant, userId);
  const backupCodesRemaining = await countRemaining(deps, tenant, userId);
  await recordAudit(deps, deps.db, meta, now, {
    kind: "verify.succeeded",
    userId,
    factorId: outcome.factorId,
    details: { provider: "webauthn", purpose: "passwordless", transaction_id: input.transactionId },
  });
  return {
    verified: true,
    context: {
      userId,
      factorId: outcome.factorId,
      provider: "webauthn",
      amr: webauthnAmr("passwordless", outcome.userVerified),
      verifiedAt: now,
      driftSeconds: 0,
      backupCodesRemaining,
    },
  };
}
